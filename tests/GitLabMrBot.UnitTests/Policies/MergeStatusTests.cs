using GitLabMrBot.Policies;
using GitLabMrBot.Processing.Reconciliation;
using static GitLabMrBot.UnitTests.Policies.PolicyTestKit;

namespace GitLabMrBot.UnitTests.Policies;

/// <summary>One list of unsettled merge statuses, read the same way by the policy engine and the re-checks.</summary>
public sealed class MergeStatusTests
{
    private static readonly CompiledConfig Config = Compile("""{ "needsRebase": { "label": "needs-rebase" } }""");

    [Theory]
    [InlineData("unchecked", true)]
    [InlineData("checking", true)]
    [InlineData("preparing", true)]
    [InlineData("approvals_syncing", true)]
    [InlineData("conflict", false)]
    [InlineData("need_rebase", false)]
    [InlineData("mergeable", false)]
    [InlineData("CHECKING", false)]
    [InlineData(null, false)]
    public void Only_statuses_gitlab_is_still_computing_are_unsettled(string? status, bool unsettled)
    {
        Assert.Equal(unsettled, MergeStatus.IsUnsettled(status));
    }

    [Theory]
    [InlineData("checking")]
    [InlineData("approvals_syncing")]
    [InlineData(null)]
    public void The_needs_rebase_label_is_kept_while_the_status_is_unsettled_or_unknown(string? status)
    {
        var plan = PolicyEngine.Evaluate(Mr(mergeStatus: status, labels: ["needs-rebase"], botAdded: ["needs-rebase"]), Config);

        Assert.Empty(Removed(plan));
    }

    [Theory]
    [InlineData("checking")]
    [InlineData(null)]
    public void An_unsettled_or_unknown_status_never_adds_the_needs_rebase_label(string? status)
    {
        var plan = PolicyEngine.Evaluate(Mr(mergeStatus: status), Config);

        Assert.Empty(Added(plan));
    }

    [Fact]
    public void A_settled_status_removes_the_bots_needs_rebase_label()
    {
        var plan = PolicyEngine.Evaluate(Mr(mergeStatus: "mergeable", labels: ["needs-rebase"], botAdded: ["needs-rebase"]), Config);

        Assert.Equal(["needs-rebase"], Removed(plan));
    }
}
