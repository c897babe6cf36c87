using GitLabMrBot.Configuration;
using GitLabMrBot.Policies;
using GitLabMrBot.TestGitLab.Model;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>
/// Issue 12, defect 4: text from GitLab never acts. Hostile titles, branch names, usernames, labels, paths and
/// descriptions go through every template variable and through the summary; the notes must show them as text, and
/// GitLab (as modelled by the test GitLab's <see cref="NoteActions"/>) must find nothing to mention, link or run.
/// </summary>
public sealed class HostileTextTests
{
    /// <summary>What an attacker who can name a branch, title an MR or pick a username would write.</summary>
    public static readonly string[] Catalogue =
    [
        "@all", "release/@all", "release/@acme", "@acme/developers", "ping @bob.smith-2 now", "mail me: eve@example.com",
        "#1", "fix #1 and !2", "group/project#1", "group/sub/project!12", "~bug", "~\"needs review\"", "%v1.0", "%\"1.0\"",
        "&3", "$4", "^alert#1", "[feature_flag:1]",
        "https://gitlab.example.com/g/p/-/issues/1", "see www.gitlab.example.com/g/p/-/issues/1", "http://evil.example/?q=@all",
        "<b>bold</b>", "<img src=x onerror=alert(1)>", "<!--", "-->", "<!-- hidden -->", "<details><summary>open me</summary>",
        "x\n/close", "/label ~bug", "/assign @bob", "  /unassign @bob", "\n/merge", "line\r\n/approve",
        "`code`", "``", "```", "a`b", "ends with `", "`` `@all` ``", "``` sh\n@all\n```",
        "\u202Eevil\u202C", "\u2066isolated\u2069", "zero\u200Bwidth@all", "bell\u0007", "nul\u0000", "line\u2028sep", "bom\uFEFF",
        "&#64;all", "&commat;all", "&#35;1", "\\@all", "\\", "\\`", "**bold** _em_ [link](https://x.example)", "| a | b |",
        "[x]: https://x.example", "![img](https://x.example/a.png)", ":smile:", "@all " + new string('a', 100_000),
    ];

    // Every template variable, some twice (joined, filtered), and two values side by side that could pair up into an HTML comment.
    private const string EveryVariable =
        "Hotfix into {{ mr.target_branch }}: cherry-pick it to main too.\n" +
        "{{ mr.title }}\n{% for label in mr.labels %}{% if label != \"\" %}- {{ label }} {{ mr }} {{ policy }}\n{% endif %}{% endfor %}" +
        "{{ mr.source_branch }} by {{ mr.author }}, labels {{ mr.labels }} / {{ mr.labels | join: \", \" }}, at {{ mr.web_url }}, draft {{ mr.draft }}, !{{ mr.iid }} {{ policy.name }}\n" +
        "{{ mr.title | upcase }} {{ mr.source_branch | raw }} {{ mr.target_branch }}";

    private static readonly CompiledConfig Config = Compile();

    private static CompiledConfig Compile()
    {
        var json = $$"""
            { "policies": [
              { "name": "every-variable", "when": { "draft": false },
                "then": { "addLabels": ["seen"], "comment": {{System.Text.Json.JsonSerializer.Serialize(EveryVariable)}} } },
              { "name": "title", "when": { "title": "." }, "then": { "addLabels": ["titled"] } },
              { "name": "branches", "when": { "sourceBranch": "**", "targetBranch": "**" }, "then": { "addLabels": ["branched"] } },
              { "name": "files", "when": { "changedFiles": ["**"] }, "then": { "addLabels": ["filed"] } },
              { "name": "commits", "when": { "commitMessages": "." }, "then": { "addLabels": ["committed"] } },
              { "name": "not-author", "when": { "not": { "author": ["nobody"] } }, "then": { "addLabels": ["authored"] } }
            ] }
            """;
        var result = PolicyConfigLoader.Load(json, "hostile.json");
        Assert.True(result.IsValid, result.IsValid ? "" : result.Describe("hostile.json"));
        return result.Config!;
    }

    private static MergeRequestSnapshot Mr(string title = "Title", string source = "hotfix/x", string target = "release/1", string author = "alice", string? value = null) =>
        new()
        {
            ProjectId = 7,
            Iid = 42,
            Title = title,
            Description = value ?? "",
            SourceBranch = source,
            TargetBranch = target,
            AuthorUsername = author,
            AuthorId = 3,
            Draft = false,
            State = "opened",
            Labels = value is null ? [] : [value],
            ChangedFiles = [new ChangedFile(value ?? "a.txt", 1, 0)],
            CommitMessages = [value ?? "commit"],
            DetailedMergeStatus = "mergeable",
            WebUrl = "https://gitlab.example.com/g/p/-/merge_requests/42",
            Provenance = LabelProvenance.Of(),
        };

    private static List<(string Where, string Body)> Notes(MergeRequestSnapshot mr)
    {
        var plan = PolicyEngine.Evaluate(mr, Config);
        var notes = plan.Comments.Select(c => ("comment of " + c.Policy, c.Body)).ToList();
        notes.Add(("summary", SummaryComment.Render(plan)));
        return notes;
    }

    public static TheoryData<int> Values() => [.. Enumerable.Range(0, Catalogue.Length)];

    [Theory]
    [MemberData(nameof(Values))]
    public void Defect4_hostile_value_in_every_variable_and_the_summary_makes_GitLab_do_nothing(int index)
    {
        var value = Catalogue[index];
        var mr = Mr(title: value, source: value, target: value, author: value, value: value);

        var notes = Notes(mr);

        Assert.Equal(2, notes.Count);
        foreach (var (where, body) in notes)
        {
            var actions = NoteActions.Find(body);
            Assert.True(actions.Count == 0, $"{where} for {Describe(value)} would make GitLab act: {string.Join(", ", actions)}\n{Head(body)}");
            // A 100 KB title costs a few hundred characters per place it appears, not 100 KB.
            Assert.True(body.Length < 8_000, $"{where} for {Describe(value)} is {body.Length} characters long");
        }
    }

    [Fact]
    public void Defect4_the_repository_hotfix_template_writes_the_branch_as_text()
    {
        var loaded = PolicyConfigLoader.LoadFile(Path.Combine(RepositoryRoot(), "bot.config.json"));
        Assert.True(loaded.IsValid);

        foreach (var (target, shown) in new[] { ("release/@all", "`release/@all`"), ("release/@acme", "`release/@acme`"), ("release/#1", "`release/#1`") })
        {
            var plan = PolicyEngine.Evaluate(Mr(source: "hotfix/x", target: target), loaded.Config!);

            var comment = Assert.Single(plan.Comments, c => c.Policy == "hotfix");
            Assert.Contains($"Hotfix into {shown}: cherry-pick it to main too.", comment.Body);
            Assert.Empty(NoteActions.Find(comment.Body));
        }
    }

    [Fact]
    public void Defect4_two_values_cannot_pair_up_into_an_HTML_comment_that_hides_text()
    {
        var plan = PolicyEngine.Evaluate(Mr(title: "<!--", source: "hotfix/x", target: "-->"), Config);

        var comment = Assert.Single(plan.Comments, c => c.Policy == "every-variable");
        Assert.Contains("Hotfix into `-->`: cherry-pick it to main too.", comment.Body);
        Assert.Contains("`<!--`", comment.Body);
        Assert.Empty(NoteActions.Find(comment.Body));
    }

    [Fact]
    public void Defect4_a_100_KB_title_is_cut_with_an_ellipsis()
    {
        var title = "feat: " + new string('x', 100_000);

        var comment = Assert.Single(PolicyEngine.Evaluate(Mr(title: title), Config).Comments);

        var line = comment.Body.Split('\n')[2];
        Assert.Equal("`" + title[..(InertText.MaxValueLength - 1)] + "…`", line);
    }

    [Fact]
    public async Task Defect4_hostile_branch_and_title_through_the_bot_and_the_test_GitLab_notify_no_one()
    {
        await using var env = await BotWithGitLab.StartAsync();
        env.GitLab.Push(env.Alice, env.Project, "release/@all", new Dictionary<string, string?> { ["README.md"] = "release\n" });

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "fix #1 for @acme <!-- hide", "hotfix/x", targetBranch: "release/@all",
            files: new Dictionary<string, string?> { ["web/@all.css"] = "a {}\n" });
        await env.WaitForQuietAsync();

        var notes = env.BotNotes(mr);
        Assert.Equal(2, notes.Count); // the hotfix policy's comment and the summary
        Assert.Contains(notes, n => n.Contains("Hotfix into `release/@all`: cherry-pick it to main too.", StringComparison.Ordinal));
        foreach (var note in notes)
        {
            Assert.Empty(NoteActions.Find(note));
        }
        Assert.Empty(env.Problems());
    }

    [Fact]
    public void Defect4_the_test_GitLab_model_sees_what_raw_text_would_do()
    {
        // The checker itself must be able to fail: raw values are caught, the same values in code spans or escaped are not.
        Assert.Contains("mention @all", NoteActions.Find("Hotfix into release/@all"));
        Assert.Contains("issue #1", NoteActions.Find("see group/project#1"));
        Assert.Contains("quick action /close", NoteActions.Find("title\n/close"));
        Assert.Contains("html <!", NoteActions.Find("a <!-- b"));
        Assert.Contains("mention @all", NoteActions.Find("&#64;all"));
        Assert.Contains("link https://x.example", NoteActions.Find("go https://x.example"));
        Assert.Contains("invisible character U+202E", NoteActions.Find("\u202Ex"));
        Assert.Contains("mention @all", NoteActions.Find("`a` @all `b`"));
        Assert.Contains("mention @all", NoteActions.Find("``a` @all"));
        Assert.Empty(NoteActions.Find("Hotfix into `release/@all` and \\#1 and `` a`b @x ``"));
    }

    private static string Describe(string value) => System.Text.Json.JsonSerializer.Serialize(value.Length > 60 ? value[..60] + "..." : value);

    private static string Head(string body) => body.Length > 1500 ? body[..1500] + "..." : body;

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GitLabMrBot.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
