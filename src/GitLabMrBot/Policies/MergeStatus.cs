namespace GitLabMrBot.Policies;

/// <summary>What the bot reads from GitLab's <c>detailed_merge_status</c> (docs/gitlab-behaviour.md §3.2).</summary>
public static class MergeStatus
{
    // GitLab computes mergeability asynchronously: these mean "still computing, ask again later".
    private static readonly HashSet<string> Unsettled = new(StringComparer.Ordinal)
    {
        "unchecked", "checking", "preparing", "approvals_syncing",
    };

    /// <summary>
    /// True while GitLab is still computing whether the MR can merge. Null (GitLab did not say) is not unsettled: it is
    /// unknown, and waiting does not make it known; callers that must not act on an unknown status check for null themselves.
    /// </summary>
    public static bool IsUnsettled(string? detailedMergeStatus) => detailedMergeStatus is not null && Unsettled.Contains(detailedMergeStatus);
}
