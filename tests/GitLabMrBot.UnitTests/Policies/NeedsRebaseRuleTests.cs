using GitLabMrBot.Policies;
using static GitLabMrBot.UnitTests.Policies.PolicyTestKit;

namespace GitLabMrBot.UnitTests.Policies;

/// <summary>Issue 10, item 3: the needs-rebase label follows GitLab's rebase rule, whatever check detailed_merge_status names first.</summary>
public sealed class NeedsRebaseRuleTests
{
    private static readonly CompiledConfig Config = Compile("""{ "needsRebase": { "label": "needs-rebase" } }""");
    private static readonly ChangedFile[] SomeFile = [File("web/app.css")];

    private static MergeRequestSnapshot Behind(string? mergeMethod, int? diverged, string status, bool present = false) =>
        Mr(mergeStatus: status, files: SomeFile, labels: present ? ["needs-rebase"] : null, botAdded: present ? ["needs-rebase"] : null)
            with { MergeMethod = mergeMethod, DivergedCommitsCount = diverged };

    [Theory]
    [InlineData("ff", "draft_status")]
    [InlineData("rebase_merge", "not_approved")]
    [InlineData("ff", "discussions_not_resolved")]
    [InlineData("ff", "checking")]
    public void An_mr_behind_its_target_on_a_linear_history_project_needs_a_rebase_whatever_check_fails_first(string method, string status)
    {
        var plan = PolicyEngine.Evaluate(Behind(method, 2, status), Config);

        var added = Assert.Single(plan.LabelsToAdd);
        Assert.Equal("needs-rebase", added.Label);
        Assert.Contains("2 commits", added.Reason.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("merge", 5, "mergeable")]
    [InlineData("ff", 0, "draft_status")]
    [InlineData(null, 3, "draft_status")]
    public void Merge_commits_an_up_to_date_branch_or_an_unknown_method_need_no_rebase(string? method, int diverged, string status)
    {
        Assert.Empty(Added(PolicyEngine.Evaluate(Behind(method, diverged, status), Config)));
        Assert.Equal(["needs-rebase"], Removed(PolicyEngine.Evaluate(Behind(method, diverged, status, present: true), Config)));
    }

    [Fact]
    public void The_label_stays_when_an_unrelated_check_starts_failing()
    {
        Assert.Empty(Removed(PolicyEngine.Evaluate(Behind("ff", 1, "draft_status", present: true), Config)));
        Assert.Empty(Removed(PolicyEngine.Evaluate(Behind("merge", 0, "not_approved", present: true) with { HasConflicts = true }, Config)));
    }

    [Fact]
    public void Has_conflicts_counts_behind_any_failing_check_but_not_for_an_mr_that_changes_nothing()
    {
        var conflicting = Mr(mergeStatus: "not_approved", files: SomeFile) with { HasConflicts = true, MergeMethod = "merge" };
        var noCommits = Mr(mergeStatus: "commits_status") with { HasConflicts = true, MergeMethod = "merge" };

        Assert.Equal(["needs-rebase"], Added(PolicyEngine.Evaluate(conflicting, Config)));
        Assert.Empty(Added(PolicyEngine.Evaluate(noCommits, Config)));
    }

    [Fact]
    public void Without_the_fields_gitlabs_own_need_rebase_status_still_counts()
    {
        // simulate reads a webhook payload: no merge method, no diverged count.
        var plan = PolicyEngine.Evaluate(Mr(mergeStatus: "need_rebase", files: SomeFile), Config);

        Assert.Equal(["needs-rebase"], Added(plan));
    }
}
