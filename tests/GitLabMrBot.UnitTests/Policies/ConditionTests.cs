using GitLabMrBot.Policies;
using static GitLabMrBot.UnitTests.Policies.PolicyTestKit;

namespace GitLabMrBot.UnitTests.Policies;

public sealed class ConditionTests
{
    [Fact]
    public void ChangedFiles_holds_when_any_path_matches_any_glob_and_names_the_file()
    {
        var config = OnePolicy("""{ "changedFiles": ["web/**", "**/*.css"] }""");

        var plan = PolicyEngine.Evaluate(Mr(files: [File("src/a.cs"), File("styles/site.css")]), config);

        var change = Assert.Single(plan.LabelsToAdd);
        Assert.Equal("p", change.Reason.Rule);
        Assert.Contains("styles/site.css", change.Reason.Detail);
        Assert.Contains("**/*.css", change.Reason.Detail);
        Assert.False(Matches("""{ "changedFiles": ["web/**"] }""", Mr(files: [File("src/a.cs")])));
    }

    [Fact]
    public void ChangedFiles_also_matches_the_old_path_of_a_renamed_file()
    {
        var moved = new ChangedFile("src/new.cs", 0, 0) { OldPath = "web/old.cs", RenamedFile = true };

        Assert.True(Matches("""{ "changedFiles": ["web/**"] }""", Mr(files: [moved])));
    }

    [Fact]
    public void OnlyChangedFiles_needs_every_path_to_match_and_at_least_one_file()
    {
        const string when = """{ "onlyChangedFiles": ["docs/**", "**/*.md"] }""";

        Assert.True(Matches(when, Mr(files: [File("docs/guide.txt"), File("README.md")])));
        Assert.False(Matches(when, Mr(files: [File("docs/guide.txt"), File("src/a.cs")])));
        Assert.False(Matches(when, Mr(files: [])));
    }

    [Fact]
    public void Title_is_a_case_insensitive_regex()
    {
        const string when = """{ "title": "^feat(\\(.+\\))?!?:" }""";

        Assert.True(Matches(when, Mr(title: "feat(api): add endpoint")));
        Assert.True(Matches(when, Mr(title: "FEAT: shout")));
        Assert.False(Matches(when, Mr(title: "fix: feat: not at start")));
    }

    [Fact]
    public void Description_is_a_regex()
    {
        Assert.True(Matches("""{ "description": "breaking change" }""", Mr(description: "Note:\nBREAKING CHANGE here")));
        Assert.False(Matches("""{ "description": "breaking change" }""", Mr(description: "nothing")));
    }

    [Fact]
    public void Branches_are_globs()
    {
        const string when = """{ "sourceBranch": "hotfix/*", "targetBranch": "release/*" }""";

        Assert.True(Matches(when, Mr(source: "hotfix/login", target: "release/2.1")));
        Assert.False(Matches(when, Mr(source: "hotfix/login", target: "main")));
        Assert.False(Matches(when, Mr(source: "hotfix/a/b", target: "release/2.1")));
    }

    [Fact]
    public void Author_is_a_list_of_usernames_compared_case_insensitively()
    {
        Assert.True(Matches("""{ "author": ["bob", "Alice"] }""", Mr(author: "alice")));
        Assert.False(Matches("""{ "author": ["bob"] }""", Mr(author: "alice")));
    }

    [Fact]
    public void Draft_compares_the_draft_state()
    {
        Assert.True(Matches("""{ "draft": true }""", Mr(draft: true)));
        Assert.False(Matches("""{ "draft": true }""", Mr(draft: false)));
        Assert.True(Matches("""{ "draft": false }""", Mr(draft: false)));
    }

    [Fact]
    public void Labels_must_all_be_present()
    {
        Assert.True(Matches("""{ "labels": ["api", "urgent"] }""", Mr(labels: ["urgent", "api", "x"])));
        Assert.False(Matches("""{ "labels": ["api", "urgent"] }""", Mr(labels: ["api"])));
    }

    [Theory]
    [InlineData(9, false)]
    [InlineData(10, true)]
    [InlineData(20, true)]
    [InlineData(21, false)]
    public void LinesChanged_is_an_inclusive_range_of_added_plus_deleted(int lines, bool expected)
    {
        var mr = Mr(files: [File("a.cs", added: lines - 4, deleted: 4)]);

        Assert.Equal(expected, Matches("""{ "linesChanged": { "min": 10, "max": 20 } }""", mr));
    }

    [Fact]
    public void FilesChanged_counts_files_with_open_ended_ranges()
    {
        var three = Mr(files: [File("a"), File("b"), File("c")]);

        Assert.True(Matches("""{ "filesChanged": { "min": 3 } }""", three));
        Assert.False(Matches("""{ "filesChanged": { "max": 2 } }""", three));
    }

    [Fact]
    public void CommitMessages_holds_when_some_message_matches()
    {
        var mr = Mr(commits: ["chore: tidy", "fix: null check\n\nCloses #12"]);

        Assert.True(Matches("""{ "commitMessages": "^fix:" }""", mr));
        Assert.False(Matches("""{ "commitMessages": "^feat:" }""", mr));
    }

    [Fact]
    public void Fields_of_one_condition_must_all_hold()
    {
        const string when = """{ "title": "^feat", "draft": false }""";

        Assert.True(Matches(when, Mr(title: "feat: x", draft: false)));
        Assert.False(Matches(when, Mr(title: "feat: x", draft: true)));
    }

    [Fact]
    public void Any_holds_when_one_part_holds()
    {
        const string when = """{ "any": [ { "changedFiles": ["src/api/**"] }, { "labels": ["api"] } ] }""";

        Assert.True(Matches(when, Mr(labels: ["api"])));
        Assert.True(Matches(when, Mr(files: [File("src/api/x.cs")])));
        Assert.False(Matches(when, Mr(files: [File("src/ui/x.cs")])));
    }

    [Fact]
    public void All_holds_only_when_every_part_holds()
    {
        const string when = """{ "all": [ { "title": "^feat" }, { "author": ["alice"] } ] }""";

        Assert.True(Matches(when, Mr(title: "feat: x", author: "alice")));
        Assert.False(Matches(when, Mr(title: "feat: x", author: "bob")));
    }

    [Fact]
    public void Not_inverts_its_condition()
    {
        const string when = """{ "not": { "targetBranch": "main" } }""";

        Assert.True(Matches(when, Mr(target: "develop")));
        Assert.False(Matches(when, Mr(target: "main")));
    }

    [Fact]
    public void Catastrophic_regex_times_out_counts_as_not_matching_and_says_so()
    {
        // The lookahead keeps the pattern on the backtracking engine (plain ^(a+)+$ now runs in linear time: issue 12, defect 5).
        var config = Compile("""
            { "policies": [
              { "name": "evil", "when": { "title": "^(?=a)(a+)+$" }, "then": { "addLabels": ["hit"] } },
              { "name": "negated", "when": { "not": { "title": "^(?=a)(a+)+$" } }, "then": { "addLabels": ["negated"] } }
            ] }
            """, regexTimeout: TimeSpan.FromMilliseconds(50));
        var mr = Mr(title: new string('a', 40) + "!");

        var plan = PolicyEngine.Evaluate(mr, config);

        Assert.Empty(plan.LabelsToAdd); // neither the pattern nor its negation holds when it timed out
        var timeouts = plan.Decisions.Where(d => d.Kind == DecisionKind.RegexTimeout).ToList();
        Assert.Equal(2, timeouts.Count);
        Assert.Contains("timed out", timeouts[0].Text);
        Assert.Contains("evil", timeouts[0].Text);
    }

    [Fact]
    public void Policies_building_on_labels_of_other_policies_settle_in_one_plan()
    {
        var config = Compile("""
            { "policies": [
              { "name": "escalate", "when": { "labels": ["api"] }, "then": { "addLabels": ["needs-architect"] } },
              { "name": "api", "when": { "changedFiles": ["src/api/**"] }, "then": { "addLabels": ["api"] } }
            ] }
            """);

        var plan = PolicyEngine.Evaluate(Mr(files: [File("src/api/x.cs")]), config);

        Assert.Equal(["needs-architect", "api"], Added(plan));
        var again = PolicyEngine.Evaluate(Mr(files: [File("src/api/x.cs")], labels: ["api", "needs-architect"], botAdded: ["api", "needs-architect"]), config);
        Assert.False(again.HasChanges);
    }

    [Fact]
    public void Policy_comment_is_rendered_with_mr_and_policy_and_marked_per_policy()
    {
        var config = Compile("""
            { "policies": [ { "name": "hotfix", "when": { "sourceBranch": "hotfix/*" },
              "then": { "comment": "Hotfix into {{ mr.target_branch }} by {{ mr.author }} ({{ policy.name }}, !{{ mr.iid }}).\n/close" } } ] }
            """);

        var plan = PolicyEngine.Evaluate(Mr(source: "hotfix/x", target: "release/1"), config);

        var comment = Assert.Single(plan.Comments);
        Assert.Equal("<!-- gitlab-mr-bot:policy:hotfix -->", comment.Marker);
        Assert.StartsWith(comment.Marker + "\n", comment.Body);
        // Every value a template writes is a code span (issue 12, defect 4): shown as written, never a mention or reference.
        Assert.Contains("Hotfix into `release/1` by `alice` (`hotfix`, !`42`).", comment.Body);
        Assert.Contains("\n\\/close", comment.Body); // a quick action in a template is never executed
    }

    [Fact]
    public void Policy_comment_already_on_the_mr_is_not_posted_again()
    {
        var config = Compile("""{ "policies": [ { "name": "hi", "when": { "draft": false }, "then": { "comment": "hello" } } ] }""");
        var mr = Mr() with { PostedPolicyComments = new HashSet<string> { "hi" } };

        var plan = PolicyEngine.Evaluate(mr, config);

        Assert.Empty(plan.Comments);
        Assert.Contains(plan.Decisions, d => d.Kind == DecisionKind.CommentAlreadyPosted);
    }

    [Fact]
    public void Templates_cannot_read_files()
    {
        var file = Path.GetTempFileName();
        try
        {
            System.IO.File.WriteAllText(file, "SECRET-CONTENT");
            var config = Compile($$$"""{ "policies": [ { "name": "t", "when": { "draft": false }, "then": { "comment": "x{% include '{{{file.Replace("\\", "/", StringComparison.Ordinal)}}}' %}" } } ] }""");

            var plan = PolicyEngine.Evaluate(Mr(), config);

            Assert.DoesNotContain(plan.Comments, c => c.Body.Contains("SECRET-CONTENT", StringComparison.Ordinal));
        }
        finally
        {
            System.IO.File.Delete(file);
        }
    }
}
