using System.Globalization;

namespace GitLabMrBot.Policies;

/// <summary>
/// When GitLab requires a rebase (docs/gitlab-behaviour.md §3.2): only on projects whose merge method is <c>ff</c> or
/// <c>rebase_merge</c>, once the target branch has commits the source branch lacks. With <c>merge</c> (merge commits)
/// an MR behind its target merges as it is.
/// </summary>
public static class RebaseRule
{
    /// <summary>True for the merge methods that need the target's head in the MR's history.</summary>
    private static bool RequiresLinearHistory(string? mergeMethod) => mergeMethod is "ff" or "rebase_merge";

    /// <summary>Why the MR needs a rebase, or null when it does not or the fields to tell are missing.</summary>
    public static string? NeedsRebase(string? mergeMethod, int? divergedCommitsCount)
    {
        if (!RequiresLinearHistory(mergeMethod) || divergedCommitsCount is not { } behind || behind <= 0)
        {
            return null;
        }
        var commits = behind == 1 ? "1 commit" : string.Create(CultureInfo.InvariantCulture, $"{behind} commits");
        var method = mergeMethod == "ff" ? "fast-forward merges" : "merge commits with semi-linear history";
        return $"the target branch has {commits} the source branch lacks, and the project uses {method}";
    }
}
