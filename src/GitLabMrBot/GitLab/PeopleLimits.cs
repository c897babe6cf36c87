using System.Collections.Concurrent;

namespace GitLabMrBot.GitLab;

/// <summary>
/// How many reviewers and assignees GitLab keeps on a project's merge requests, as learnt from its answers. GitLab Free
/// keeps only the first id of <c>reviewer_ids</c>/<c>assignee_ids</c> (docs/gitlab-behaviour.md §3.2); Premium keeps them all.
/// </summary>
/// <remarks>
/// Learnt from the PUT's answer rather than asked: <c>GET /license</c> needs an administrator, <c>GET /metadata</c>'s
/// <c>enterprise</c> names the codebase (an unlicensed EE instance keeps one too), and on GitLab.com the licence belongs to
/// each top-level group, so the answer is kept per project. A list of two or more ids answered with exactly the first one
/// is the sign (on Premium it could also mean everyone after the first cannot see the MR: the cost is then asking for one
/// reviewer on that project, never removing anyone). Until it is seen nothing is assumed; the bot's lists start with the people already there, so GitLab's
/// "first one" is never a newcomer pushing out a human's choice. Kept in memory: after a restart the first update of a
/// project learns it again, and what GitLab kept is read back from every answer anyway.
/// </remarks>
public sealed class PeopleLimits
{
    private readonly ConcurrentDictionary<long, bool> _oneReviewer = new();
    private readonly ConcurrentDictionary<long, bool> _oneAssignee = new();

    /// <summary>The most reviewers the project's merge requests keep; null while no limit is known.</summary>
    public int? Reviewers(long projectId) => _oneReviewer.ContainsKey(projectId) ? 1 : null;

    /// <summary>The most assignees the project's merge requests keep; null while no limit is known.</summary>
    public int? Assignees(long projectId) => _oneAssignee.ContainsKey(projectId) ? 1 : null;

    /// <summary>Learns from one update: <paramref name="sent"/> lists answered by what GitLab kept.</summary>
    /// <returns>Which lists this answer showed to be cut to one.</returns>
    public (bool Reviewers, bool Assignees) Learn(long projectId, MergeRequestUpdate sent, GitLabMergeRequest answer)
    {
        var reviewers = KeptOnlyTheFirst(sent.ReviewerIds, answer.Reviewers);
        var assignees = KeptOnlyTheFirst(sent.AssigneeIds, answer.Assignees);
        if (reviewers)
        {
            _oneReviewer[projectId] = true;
        }
        if (assignees)
        {
            _oneAssignee[projectId] = true;
        }
        return (reviewers, assignees);
    }

    private static bool KeptOnlyTheFirst(IReadOnlyList<long>? sent, IReadOnlyList<GitLabUser> kept) =>
        sent is { Count: >= 2 } && sent.Distinct().Count() >= 2 && kept.Count == 1 && kept[0].Id == sent[0];
}
