using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>
/// Label provenance from GitLab's resource label events (docs/gitlab-behaviour.md §3.3): the latest event of each label
/// says who put it there or took it away. This is what lets humans win (docs/contract.md §2, principle 5).
/// </summary>
public static class LabelHistory
{
    public static LabelProvenance Provenance(IEnumerable<GitLabLabelEvent> events, IReadOnlyList<string> currentLabels, long botUserId)
    {
        var latest = new Dictionary<string, GitLabLabelEvent>(StringComparer.Ordinal);
        foreach (var e in events.Where(e => e.Label is not null).OrderBy(e => e.CreatedAt ?? DateTimeOffset.MinValue).ThenBy(e => e.Id))
        {
            latest[e.Label!.Name] = e;
        }

        var present = new HashSet<string>(currentLabels, StringComparer.Ordinal);
        var addedByBot = latest.Values
            .Where(e => e.Action == "add" && e.User?.Id == botUserId && present.Contains(e.Label!.Name))
            .Select(e => e.Label!.Name);
        var removedByHuman = latest.Values
            .Where(e => e.Action == "remove" && e.User?.Id != botUserId && !present.Contains(e.Label!.Name))
            .Select(e => e.Label!.Name);
        return LabelProvenance.Of(addedByBot, removedByHuman);
    }

    /// <summary>
    /// Whether the label history could change <paramref name="planWithout"/>, a plan decided with no history
    /// (<see cref="LabelProvenance.None"/>: nothing added by the bot, nothing removed by a human). The history is read by
    /// the engine in three places only: a label about to be added (a human may have removed it), a label on the MR that no
    /// rule keeps (the bot may have added it, and then removes it), and the decisions that say "a human set it" (which the
    /// history could turn into the bot's own). When none of these is in the plan, the plan with the history is the same,
    /// and the label events need not be read (docs/gitlab-behaviour.md §3.3).
    /// </summary>
    public static bool CouldChange(Plan planWithout, IReadOnlyList<string> currentLabels)
    {
        if (planWithout.LabelsToAdd.Count > 0 || planWithout.LabelsToRemove.Count > 0)
        {
            return true;
        }
        if (planWithout.Decisions.Any(d => d.Kind is DecisionKind.NotReAdded or DecisionKind.HumanLabelKept or DecisionKind.HumanScopedLabelKept or DecisionKind.NotSettled))
        {
            return true;
        }
        var kept = planWithout.Applied.Select(a => a.Label).ToHashSet(StringComparer.Ordinal);
        return currentLabels.Any(l => !kept.Contains(l));
    }
}
