using System.Text.Json.Nodes;

namespace GitLabMrBot.TestGitLab.Tests;

/// <summary>detailed_merge_status in GitLab's order of checks, has_conflicts, diverged_commits_count and the project's merge_method.</summary>
public sealed class MergeabilityTests : GitLabTestBase
{
    private async Task<JsonNode> GetMr(GitLabMergeRequest mr, string query = "") =>
        await Json(await Api.GetAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}{query}"));

    private void MoveMainOn() =>
        Server.Push(Alice, Project, "main", new Dictionary<string, string?> { ["README.md"] = "# app, moved on\n" });

    [Fact]
    public async Task The_project_reports_its_merge_method()
    {
        var before = await Json(await Api.GetAsync($"projects/{Project.Id}"));
        Server.SetMergeMethod(Project, "ff");
        var after = await Json(await Api.GetAsync($"projects/{Project.Id}"));

        Assert.Equal("merge", (string)before["merge_method"]!);
        Assert.Equal("ff", (string)after["merge_method"]!);
        Assert.Throws<ArgumentException>(() => Server.SetMergeMethod(Project, "squash"));
    }

    [Fact]
    public async Task Diverged_commits_count_is_returned_only_when_asked_for_and_counts_the_commits_the_target_gained()
    {
        var mr = OpenMr();
        var fresh = await GetMr(mr, "?include_diverged_commits_count=true");
        MoveMainOn();
        MoveMainOn();

        var plain = await GetMr(mr);
        var behind = await GetMr(mr, "?include_diverged_commits_count=true");

        Assert.Equal(0, (int)fresh["diverged_commits_count"]!);
        Assert.False(plain.AsObject().ContainsKey("diverged_commits_count"));
        Assert.Equal(2, (int)behind["diverged_commits_count"]!);
    }

    [Theory]
    [InlineData("merge", "mergeable")]
    [InlineData("rebase_merge", "need_rebase")]
    [InlineData("ff", "need_rebase")]
    public async Task Only_fast_forward_and_semi_linear_projects_need_a_rebase_when_the_target_moves_on(string mergeMethod, string expected)
    {
        Server.SetMergeMethod(Project, mergeMethod);
        var mr = OpenMr();
        var before = (string)(await GetMr(mr))["detailed_merge_status"]!;

        MoveMainOn();

        Assert.Equal("mergeable", before);
        Assert.Equal(expected, (string)(await GetMr(mr))["detailed_merge_status"]!);
        Assert.Equal(expected, Server.GetMergeRequest(mr).DetailedMergeStatus);
    }

    [Fact]
    public async Task Detailed_merge_status_names_only_the_first_failing_check_while_has_conflicts_answers_for_itself()
    {
        Server.SetMergeMethod(Project, "ff");
        var mr = OpenMr("Draft: Add styles");
        MoveMainOn();
        Server.SetMergeStatus(mr, null, hasConflicts: true);

        var draft = await GetMr(mr, "?include_diverged_commits_count=true");
        Server.UpdateMergeRequest(Alice, mr, new MergeRequestUpdate { Draft = false });
        var ready = await GetMr(mr);
        Server.SetMergeStatus(mr, null);
        var resolved = await GetMr(mr);

        // Draft comes before conflict and rebase: GitLab reports only the draft, yet the conflict and the lag are there.
        Assert.Equal("draft_status", (string)draft["detailed_merge_status"]!);
        Assert.True((bool)draft["has_conflicts"]!);
        Assert.Equal(1, (int)draft["diverged_commits_count"]!);
        Assert.Equal("conflict", (string)ready["detailed_merge_status"]!);
        Assert.Equal("need_rebase", (string)resolved["detailed_merge_status"]!);
        Assert.False((bool)resolved["has_conflicts"]!);
    }

    [Fact]
    public async Task Approvals_a_premium_rule_are_checked_before_everything_else()
    {
        Server.SetMergeMethod(Project, "ff");
        Server.RequireApprovals(Project, 1);
        var mr = OpenMr("Draft: Add styles");
        MoveMainOn();

        var unapproved = (string)(await GetMr(mr))["detailed_merge_status"]!;
        Server.Approve(Bob, mr);
        var approved = (string)(await GetMr(mr))["detailed_merge_status"]!;

        Assert.Equal("not_approved", unapproved);
        Assert.Equal("draft_status", approved);
    }

    [Fact]
    public async Task While_the_git_check_runs_its_state_comes_first_and_has_conflicts_reads_false()
    {
        var mr = OpenMr("Draft: Add styles");
        Server.SetMergeStatus(mr, "checking", hasConflicts: true);

        var checking = await GetMr(mr);

        Assert.Equal("checking", (string)checking["detailed_merge_status"]!);
        Assert.Equal("checking", (string)checking["merge_status"]!);
        Assert.False((bool)checking["has_conflicts"]!);
        Assert.Throws<ArgumentException>(() => Server.SetMergeStatus(mr, "need_rebase"));
    }

    [Fact]
    public async Task An_mr_without_commits_reads_commits_status_and_has_conflicts()
    {
        // "release" gains a commit of its own; main has nothing release lacks, so an MR main → release has no commits.
        Server.Push(Alice, Project, "release", new Dictionary<string, string?> { ["CHANGELOG.md"] = "v1\n" });
        var mr = Server.OpenMergeRequest(Project, Alice, "Sync main into release", "main", targetBranch: "release");

        var empty = await GetMr(mr, "?include_diverged_commits_count=true");
        var diffs = await Json(await Api.GetAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/diffs"));

        Assert.Equal("commits_status", (string)empty["detailed_merge_status"]!);
        Assert.True((bool)empty["has_conflicts"]!);
        Assert.Equal(1, (int)empty["diverged_commits_count"]!);
        Assert.Empty(diffs.AsArray());
    }
}
