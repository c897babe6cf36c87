using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>
/// Issue 14: each project's own <c>.gitlab/mrbot.json</c>, read from its default branch, merged into the group's
/// <c>bot.config.json</c> within what its <c>projects</c> section allows; against the test GitLab over real HTTP.
/// </summary>
public sealed class ProjectFileTests
{
    private const string GroupConfig = """
        {
          "labels": { "frontend": "#1f75cb" },
          "policies": [
            { "name": "frontend", "when": { "changedFiles": ["web/**"] }, "then": { "addLabels": ["frontend"] } }
          ],
          "projects": { "allow": ["policies", "labels"], "locked": ["frontend"] }
        }
        """;

    private const string MobileRule = """
        {
          "policies": [
            { "name": "mobile", "when": { "changedFiles": ["ios/**"] }, "then": { "addLabels": ["mobile"] } }
          ]
        }
        """;

    private static readonly Dictionary<string, string?> IosAndWeb = new() { ["ios/App.swift"] = "// app\n", ["web/app.css"] = "body {}\n" };

    private static async Task<(BotWithGitLab Env, GitLabProject Site)> StartAsync()
    {
        var env = await BotWithGitLab.StartAsync(GroupConfig);
        var site = env.GitLab.AddProject("acme/site", files: new Dictionary<string, string> { ["README.md"] = "# site\n" });
        env.GitLab.AddMember(site, env.BotUser, AccessLevel.Developer);
        env.GitLab.AddMember(site, env.Alice, AccessLevel.Developer);
        return (env, site);
    }

    private static void PushProjectFile(BotWithGitLab env, string content, string path = ".gitlab/mrbot.json") =>
        env.GitLab.Push(env.Alice, env.Project, "main", new Dictionary<string, string?> { [path] = content });

    [Fact]
    public async Task Item1_a_project_file_adds_a_label_rule_that_applies_in_that_project_only_and_the_summary_names_its_source()
    {
        var (env, site) = await StartAsync();
        await using var _ = env;
        PushProjectFile(env, MobileRule);
        await env.WaitForQuietAsync();

        var app = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Both", "both", files: IosAndWeb);
        var other = env.GitLab.OpenMergeRequest(site, env.Alice, "Both", "both", files: IosAndWeb);
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "mobile"], env.GitLab.GetMergeRequest(app).Labels.Order());
        Assert.Equal(["frontend"], env.GitLab.GetMergeRequest(other).Labels);
        var note = Assert.Single(env.BotNotes(app));
        Assert.Contains("project policy `mobile`", note, StringComparison.Ordinal);
        Assert.Contains("group policy `frontend`", note, StringComparison.Ordinal);
        Assert.Contains("`.gitlab/mrbot.json`", note, StringComparison.Ordinal);
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item2_a_locked_group_policy_cannot_be_disabled_and_the_summary_says_why_with_the_line()
    {
        var (env, _) = await StartAsync();
        await using var __ = env;
        PushProjectFile(env, """
            {
              "policies": [
                { "name": "frontend", "when": { "title": "^never$" }, "then": { "addLabels": ["frontend"] } }
              ]
            }
            """);
        await env.WaitForQuietAsync();

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Web", "web", files: IosAndWeb);
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend"], env.GitLab.GetMergeRequest(mr).Labels);
        var note = Assert.Single(env.BotNotes(mr));
        Assert.Contains("`.gitlab/mrbot.json` is invalid", note, StringComparison.Ordinal);
        Assert.Contains("line 3", note, StringComparison.Ordinal);
        Assert.Contains("locked group policy", note, StringComparison.Ordinal);
        Assert.Contains("group policy `frontend`", note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item4_an_invalid_file_keeps_the_previous_rules_and_a_push_with_a_valid_file_applies_the_new_ones()
    {
        var (env, _) = await StartAsync();
        await using var __ = env;
        PushProjectFile(env, MobileRule);
        await env.WaitForQuietAsync();
        var first = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "iOS", "ios-1", files: IosAndWeb);
        await env.WaitForQuietAsync();
        Assert.Contains("mobile", env.GitLab.GetMergeRequest(first).Labels);

        // A broken edit on the default branch: the mobile rule stays in force, and the summary says why.
        PushProjectFile(env, """
            {
              "policies": [
                { "name": "mobile", "when": { "changedFiles": ["ios/**"] }, "then": { "addLabels": ["mobile"] } },
                { "name": "bad", "when": { "title": "(" }, "then": { "addLabels": ["x"] } }
              ]
            }
            """);
        await env.WaitForQuietAsync();
        var second = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "iOS again", "ios-2", files: IosAndWeb);
        await env.WaitForQuietAsync();

        Assert.Contains("mobile", env.GitLab.GetMergeRequest(second).Labels);
        var note = Assert.Single(env.BotNotes(second));
        Assert.Contains("`.gitlab/mrbot.json` is invalid", note, StringComparison.Ordinal);
        Assert.Contains("line 4", note, StringComparison.Ordinal);
        Assert.Contains("last valid version", note, StringComparison.Ordinal);

        // A valid edit merged through an MR: from then on the new rule applies.
        var edit = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Tablet rules", "rules", files: new Dictionary<string, string?>
        {
            [".gitlab/mrbot.json"] = """{ "policies": [ { "name": "tablet", "when": { "changedFiles": ["ios/**"] }, "then": { "addLabels": ["tablet"] } } ] }""",
        });
        await env.WaitForQuietAsync();
        env.GitLab.Merge(env.Alice, edit);
        await env.WaitForQuietAsync();
        var third = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "iOS third", "ios-3", files: IosAndWeb);
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "tablet"], env.GitLab.GetMergeRequest(third).Labels.Order());
        Assert.DoesNotContain("invalid", Assert.Single(env.BotNotes(third)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item1_the_file_is_read_once_per_blob_not_per_evaluation()
    {
        var (env, _) = await StartAsync();
        await using var __ = env;
        PushProjectFile(env, MobileRule);
        await env.WaitForQuietAsync();
        env.GitLab.ClearRequests();

        env.GitLab.OpenMergeRequest(env.Project, env.Alice, "One", "one", files: IosAndWeb);
        env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Two", "two", files: IosAndWeb);
        await env.WaitForQuietAsync();

        // .gitlab/mrbot.json exists, so .mrbot.json is not asked for; and the blob is read once for both MRs.
        Assert.Single(env.GitLab.Requests, r => r.Method == "GET" && r.Path.Contains("mrbot.json", StringComparison.Ordinal));
    }
}
