using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>
/// Issue 10, item 3: needs-rebase follows GitLab's own rule (has_conflicts; diverged_commits_count on fast-forward and
/// semi-linear projects), not detailed_merge_status, which names only the first failing check (docs/gitlab-behaviour.md §3.2).
/// </summary>
public sealed class NeedsRebaseRuleTests
{
    private const string Config = """
        {
          "needsRebase": { "label": "needs-rebase" },
          "summaryComment": true
        }
        """;

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Rechecks:FirstDelay"] = "00:00:00.300",
        ["Rechecks:MaxDelay"] = "00:00:01",
    };

    private static readonly Dictionary<string, string?> Css = new() { ["web/app.css"] = "body { color: red; }\n" };

    private static void MoveMainOn(BotWithGitLab env) =>
        env.GitLab.Push(env.Alice, env.Project, "main", new Dictionary<string, string?> { ["README.md"] = $"# app {Guid.NewGuid():N}\n" });

    private static IReadOnlyList<string> Labels(BotWithGitLab env, GitLabMergeRequest mr) => env.GitLab.GetMergeRequest(mr).Labels;

    [Theory]
    [InlineData("ff")]
    [InlineData("rebase_merge")]
    public async Task Item3_a_draft_behind_its_target_on_a_project_that_merges_without_merge_commits_gets_needs_rebase(string mergeMethod)
    {
        await using var env = await BotWithGitLab.StartAsync(Config, Settings);
        env.GitLab.SetMergeMethod(env.Project, mergeMethod);
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Draft: Style", "styles", files: Css);
        await env.WaitForQuietAsync();
        Assert.DoesNotContain("needs-rebase", Labels(env, mr));

        MoveMainOn(env);
        await env.WaitForQuietAsync();

        // GitLab says only "draft_status": the draft check comes before the rebase check.
        Assert.Equal("draft_status", env.GitLab.GetMergeRequest(mr).DetailedMergeStatus);
        Assert.Contains("needs-rebase", Labels(env, mr));
        Assert.Contains(env.BotNotes(mr), n => n.Contains("needs-rebase", StringComparison.Ordinal));
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item3_an_unapproved_mr_behind_its_target_gets_needs_rebase()
    {
        await using var env = await BotWithGitLab.StartAsync(Config, Settings);
        env.GitLab.SetMergeMethod(env.Project, "ff");
        env.GitLab.RequireApprovals(env.Project, 1);
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style", "styles", files: Css);
        await env.WaitForQuietAsync();

        MoveMainOn(env);
        await env.WaitForQuietAsync();

        // On Premium the approval check comes first of all.
        Assert.Equal("not_approved", env.GitLab.GetMergeRequest(mr).DetailedMergeStatus);
        Assert.Contains("needs-rebase", Labels(env, mr));
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item3_needs_rebase_stays_when_an_unrelated_check_starts_failing()
    {
        await using var env = await BotWithGitLab.StartAsync(Config, Settings);
        env.GitLab.SetMergeMethod(env.Project, "ff");
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style", "styles", files: Css);
        await env.WaitForQuietAsync();
        MoveMainOn(env);
        await env.WaitForQuietAsync();
        Assert.Contains("needs-rebase", Labels(env, mr));

        // The author marks the MR as a draft: GitLab now reports "draft_status", and the MR is as far behind as before.
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Draft = true });
        await env.WaitForQuietAsync();

        Assert.Equal("draft_status", env.GitLab.GetMergeRequest(mr).DetailedMergeStatus);
        Assert.Contains("needs-rebase", Labels(env, mr));

        // The project's merge method is read once, not on every evaluation.
        Assert.Single(env.GitLab.Actions, a => a == $"GET /projects/{env.Project.Id}");
        Assert.Contains(env.GitLab.Actions, a => a == $"GET /projects/{env.Project.Id}/merge_requests/{mr.Iid} include_diverged_commits_count=true");
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item3_a_project_with_merge_commits_never_needs_a_rebase_only_conflicts_count()
    {
        await using var env = await BotWithGitLab.StartAsync(Config, Settings);
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style", "styles", files: Css);
        await env.WaitForQuietAsync();

        MoveMainOn(env);
        await env.WaitForQuietAsync();
        Assert.DoesNotContain("needs-rebase", Labels(env, mr));

        // A draft with conflicts: GitLab says "draft_status", has_conflicts says the rest.
        env.GitLab.SetMergeStatus(mr, null, hasConflicts: true);
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Draft = true });
        await env.WaitForQuietAsync();

        Assert.Equal("draft_status", env.GitLab.GetMergeRequest(mr).DetailedMergeStatus);
        Assert.Contains("needs-rebase", Labels(env, mr));
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item3_an_mr_without_commits_does_not_get_needs_rebase_although_has_conflicts_says_true()
    {
        await using var env = await BotWithGitLab.StartAsync(Config, Settings);
        // "release" gains a commit of its own; main has nothing release lacks, so an MR main → release has no commits.
        env.GitLab.Push(env.Alice, env.Project, "release", new Dictionary<string, string?> { ["CHANGELOG.md"] = "v1\n" });

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Sync main into release", "main", targetBranch: "release");
        await env.WaitForQuietAsync();

        Assert.Equal(("commits_status", true), (env.GitLab.GetMergeRequest(mr).DetailedMergeStatus, env.GitLab.GetMergeRequest(mr).HasConflicts));
        Assert.DoesNotContain("needs-rebase", Labels(env, mr));
        Assert.Empty(env.Problems());
    }
}
