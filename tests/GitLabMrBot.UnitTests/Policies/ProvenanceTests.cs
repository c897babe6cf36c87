using GitLabMrBot.Policies;
using static GitLabMrBot.UnitTests.Policies.PolicyTestKit;

namespace GitLabMrBot.UnitTests.Policies;

public sealed class ProvenanceTests
{
    private static readonly CompiledConfig Config = Compile("""
        { "labels": { "frontend": "#1f75cb" },
          "policies": [
            { "name": "frontend", "when": { "changedFiles": ["web/**"] }, "then": { "addLabels": ["frontend"] } },
            { "name": "feature", "when": { "title": "^feat" }, "then": { "addLabels": ["type::feature"] } },
            { "name": "bug", "when": { "title": "fix" }, "then": { "addLabels": ["type::bug"] } },
            { "name": "ready", "when": { "draft": false }, "then": { "removeLabels": ["wip"] } }
          ],
          "needsRebase": { "label": "needs-rebase" } }
        """);

    [Fact]
    public void Matching_labels_are_added_with_reasons_and_colours_to_create()
    {
        var plan = PolicyEngine.Evaluate(Mr(title: "feat: x", files: [File("web/a.ts")]), Config);

        Assert.Equal(["frontend", "type::feature"], Added(plan));
        Assert.Equal([new LabelToCreate("frontend", "#1f75cb")], plan.LabelsToCreate);
        Assert.All(plan.LabelsToAdd, l => Assert.NotEmpty(l.Reason.Detail));
    }

    [Fact]
    public void A_label_the_bot_added_is_removed_when_its_condition_no_longer_holds()
    {
        // Retitled from "feat: x" to "docs: x": the bot's type::feature goes.
        var mr = Mr(title: "docs: x", labels: ["type::feature"], botAdded: ["type::feature"]);

        var plan = PolicyEngine.Evaluate(mr, Config);

        Assert.Equal(["type::feature"], Removed(plan));
        Assert.Empty(plan.LabelsToAdd);
    }

    [Fact]
    public void A_label_a_human_added_is_never_removed()
    {
        var mr = Mr(title: "docs: x", labels: ["type::feature", "wip"]);

        var plan = PolicyEngine.Evaluate(mr, Config);

        Assert.Empty(plan.LabelsToRemove);
        Assert.Contains(plan.Decisions, d => d.Kind == DecisionKind.HumanLabelKept && d.Subject == "wip");
    }

    [Fact]
    public void RemoveLabels_removes_a_label_the_bot_added()
    {
        var mr = Mr(labels: ["wip"], botAdded: ["wip"]);

        var plan = PolicyEngine.Evaluate(mr, Config);

        var removed = Assert.Single(plan.LabelsToRemove);
        Assert.Equal("wip", removed.Label);
        Assert.Equal("ready", removed.Reason.Rule);
    }

    [Fact]
    public void A_label_a_human_removed_is_never_re_added()
    {
        var mr = Mr(title: "feat: x", humanRemoved: ["type::feature"]);

        var plan = PolicyEngine.Evaluate(mr, Config);

        Assert.Empty(plan.LabelsToAdd);
        var decision = Assert.Single(plan.Decisions, d => d.Kind == DecisionKind.NotReAdded);
        Assert.Equal("type::feature not re-added: removed by a human", decision.Text);
    }

    [Fact]
    public void A_scoped_label_a_human_set_is_not_replaced()
    {
        var mr = Mr(title: "feat: x", labels: ["type::maintenance"]);

        var plan = PolicyEngine.Evaluate(mr, Config);

        Assert.Empty(plan.LabelsToAdd);
        Assert.Contains(plan.Decisions, d => d.Kind == DecisionKind.HumanScopedLabelKept && d.Text.Contains("type::maintenance", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_labels_of_one_scope_the_first_rule_wins()
    {
        var plan = PolicyEngine.Evaluate(Mr(title: "feat: fix the thing"), Config);

        Assert.Equal(["type::feature"], Added(plan));
        Assert.Contains(plan.Decisions, d => d.Kind == DecisionKind.ScopeConflict && d.Subject == "type::bug");
    }

    [Fact]
    public void Second_evaluation_after_applying_the_plan_writes_nothing()
    {
        var first = PolicyEngine.Evaluate(Mr(title: "feat: x", files: [File("web/a.ts")]), Config);
        var labels = first.LabelsAfter([]).ToArray();

        var second = PolicyEngine.Evaluate(Mr(title: "feat: x", files: [File("web/a.ts")], labels: labels, botAdded: labels), Config);

        Assert.False(second.HasChanges);
        Assert.Equal(SummaryComment.Render(first), SummaryComment.Render(second));
    }

    [Theory]
    [InlineData("merged")]
    [InlineData("closed")]
    [InlineData("locked")]
    public void Closed_and_merged_mrs_are_untouched(string state)
    {
        var mr = Mr(title: "feat: x", state: state, labels: ["frontend"], botAdded: ["frontend"]);

        var plan = PolicyEngine.Evaluate(mr, Config);

        Assert.False(plan.HasChanges);
        Assert.Empty(plan.LabelsToRemove);
        Assert.Contains(state, plan.UntouchedBecause);
        Assert.False(SummaryComment.HasContent(plan));
    }

    [Fact]
    public void Needs_rebase_label_follows_gitlabs_merge_status()
    {
        var conflicting = PolicyEngine.Evaluate(Mr(mergeStatus: "conflict"), Config);
        var checking = PolicyEngine.Evaluate(Mr(mergeStatus: "checking", labels: ["needs-rebase"], botAdded: ["needs-rebase"]), Config);
        var resolved = PolicyEngine.Evaluate(Mr(mergeStatus: "mergeable", labels: ["needs-rebase"], botAdded: ["needs-rebase"]), Config);

        Assert.Equal(["needs-rebase"], Added(conflicting));
        Assert.False(checking.HasChanges); // unknown while GitLab re-checks: keep it
        Assert.Equal(["needs-rebase"], Removed(resolved));
    }

    [Fact]
    public void DryRun_is_reported_in_the_plan()
    {
        var config = Compile("""{ "dryRun": true, "policies": [ { "name": "p", "when": { "draft": false }, "then": { "addLabels": ["x"] } } ] }""");

        var plan = PolicyEngine.Evaluate(Mr(), config);

        Assert.True(plan.DryRun);
        Assert.Equal(["x"], Added(plan));
    }
}
