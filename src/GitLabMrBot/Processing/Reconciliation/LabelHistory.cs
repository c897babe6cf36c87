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
}
