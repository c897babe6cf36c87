using GitLabMrBot.Policies;
using GitLabMrBot.Processing.Reconciliation;
using static GitLabMrBot.UnitTests.Policies.PolicyTestKit;

namespace GitLabMrBot.UnitTests.Processing;

/// <summary>
/// Issue 11 item 3: the label events are read only when <see cref="LabelHistory.CouldChange"/> says the history could
/// change the plan. Over every combination of labels on the MR and of who moved them, a plan it lets through without the
/// history must be the plan with it.
/// </summary>
public sealed class LabelHistoryNeedTests
{
    private static readonly CompiledConfig Config = Compile("""
        { "labels": { "frontend": "#1f75cb" },
          "policies": [
            { "name": "frontend", "when": { "changedFiles": ["web/**"] }, "then": { "addLabels": ["frontend"] } },
            { "name": "feature", "when": { "title": "^feat" }, "then": { "addLabels": ["type::feature"] } },
            { "name": "ready", "when": { "draft": false }, "then": { "removeLabels": ["wip"] } }
          ],
          "sizeLabels": { "prefix": "size::", "thresholds": { "XS": 10, "S": 100 }, "largest": "M" } }
        """);

    private static readonly string[] Universe = ["frontend", "type::feature", "type::bug", "wip", "size::XS", "size::S", "bug"];

    private static IEnumerable<string[]> Subsets(string[] items)
    {
        for (var mask = 0; mask < 1 << items.Length; mask++)
        {
            yield return [.. items.Where((_, i) => (mask & (1 << i)) != 0)];
        }
    }

    private static string Describe(Plan plan) => string.Join(" | ",
        "add " + string.Join(",", plan.LabelsToAdd.Select(l => l.Label)),
        "remove " + string.Join(",", plan.LabelsToRemove.Select(l => l.Label)),
        "applied " + string.Join(",", plan.Applied.Select(a => $"{a.Label}:{a.AlreadyPresent}")),
        "decisions " + string.Join(",", plan.Decisions.Select(d => d.Text)));

    [Fact]
    public void A_plan_that_needs_no_history_is_the_plan_with_any_history()
    {
        var skipped = 0;
        var checkedPlans = 0;
        foreach (var (title, files) in new[] { ("feat: x", new[] { File("web/a.css") }), ("chore", new[] { File("docs/a.md", 50) }) })
        {
            foreach (var labels in Subsets(Universe).Where(s => s.Length <= 3))
            {
                var without = PolicyEngine.Evaluate(Mr(title: title, files: files, labels: labels), Config);
                if (LabelHistory.CouldChange(without, labels))
                {
                    continue;
                }
                skipped++;
                var absent = Universe.Except(labels).ToArray();
                foreach (var botAdded in Subsets(labels))
                {
                    foreach (var humanRemoved in Subsets(absent).Where(s => s.Length <= 2))
                    {
                        var with = PolicyEngine.Evaluate(Mr(title: title, files: files, labels: labels, botAdded: botAdded, humanRemoved: humanRemoved), Config);
                        Assert.Equal(Describe(without), Describe(with));
                        checkedPlans++;
                    }
                }
            }
        }
        // The check is not vacuous: some plans were let through without the history, each against many histories.
        Assert.True(skipped >= 2, $"only {skipped} plans needed no history");
        Assert.True(checkedPlans > skipped);
    }

    [Fact]
    public void A_plan_that_adds_a_label_or_leaves_one_no_rule_keeps_needs_the_history()
    {
        var adds = PolicyEngine.Evaluate(Mr(title: "feat: x", files: [File("web/a.css")]), Config);
        var stray = PolicyEngine.Evaluate(Mr(title: "chore", files: [File("docs/a.md")], labels: ["size::XS", "bug"]), Config);
        var settled = PolicyEngine.Evaluate(Mr(title: "chore", files: [File("docs/a.md")], labels: ["size::XS"]), Config);

        Assert.True(LabelHistory.CouldChange(adds, []));
        Assert.True(LabelHistory.CouldChange(stray, ["size::XS", "bug"]));
        Assert.False(LabelHistory.CouldChange(settled, ["size::XS"]));
    }
}
