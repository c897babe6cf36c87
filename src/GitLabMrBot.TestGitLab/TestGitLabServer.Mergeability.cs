using GitLabMrBot.TestGitLab.Model;

namespace GitLabMrBot.TestGitLab;

// Seeding for what decides an MR's mergeability besides its branches (docs/gitlab-behaviour.md §3.2).
public sealed partial class TestGitLabServer
{
    /// <summary>
    /// The project's merge method, as in its settings: <c>merge</c> (default), <c>rebase_merge</c> (merge commit with
    /// semi-linear history) or <c>ff</c> (fast-forward). With the last two an MR whose target moved on reads <c>need_rebase</c>.
    /// </summary>
    public void SetMergeMethod(GitLabProject project, string mergeMethod)
    {
        if (!Mergeability.MergeMethods.Contains(mergeMethod))
        {
            throw new ArgumentException($"Unknown merge method '{mergeMethod}'.", nameof(mergeMethod));
        }

        lock (state.Gate)
        {
            Project(project).MergeMethod = mergeMethod;
        }
    }

    /// <summary>
    /// An approval rule (GitLab Premium): every MR of the project needs <paramref name="count"/> approvals, and until it has
    /// them reads <c>not_approved</c>, a check GitLab runs before all others. 0 removes the rule.
    /// </summary>
    public void RequireApprovals(GitLabProject project, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (state.Gate)
        {
            Project(project).ApprovalsRequired = count;
        }
    }

    /// <summary><paramref name="approver"/> approves the MR, as in the UI. No webhook is sent (the emulator has no approval events).</summary>
    public void Approve(GitLabUser approver, GitLabMergeRequest mergeRequest)
    {
        lock (state.Gate)
        {
            state.RequireMergeRequest(mergeRequest).ApprovedBy.Add(User(approver));
        }
    }
}
