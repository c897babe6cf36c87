namespace GitLabMrBot.TestGitLab.Model;

/// <summary>
/// GitLab's mergeability of one MR, computed on read as GitLab's DetailedMergeStatusService does (docs/gitlab-behaviour.md §3.2):
/// while the asynchronous git check has not run, its state (<c>preparing</c>, <c>checking</c>, <c>unchecked</c>) is the answer;
/// otherwise the checks run in GitLab's order and <c>detailed_merge_status</c> names only the first that fails. So a draft
/// that also conflicts reads <c>draft_status</c>, and an unapproved MR that needs a rebase reads <c>not_approved</c>.
/// </summary>
internal static class Mergeability
{
    /// <summary>The states of GitLab's asynchronous git check, reported before any check runs.</summary>
    public static readonly IReadOnlySet<string> AsyncStates = new HashSet<string>(StringComparer.Ordinal) { "preparing", "checking", "unchecked" };

    /// <summary>The checks the emulator computes itself: they cannot be forced through <c>SetMergeStatus</c>.</summary>
    public static readonly IReadOnlySet<string> ComputedChecks = new HashSet<string>(StringComparer.Ordinal)
    {
        "not_approved", "not_open", "draft_status", "commits_status", "conflict", "need_rebase",
    };

    /// <summary>The merge methods GitLab knows (<c>Project#merge_method</c>); <c>ff</c> and <c>rebase_merge</c> need a rebase when behind.</summary>
    public static readonly IReadOnlySet<string> MergeMethods = new HashSet<string>(StringComparer.Ordinal) { "merge", "rebase_merge", "ff" };

    public static string DetailedStatus(MergeRequestEntity mr)
    {
        if (mr.MergeStatusOverride is { } pending && AsyncStates.Contains(pending))
        {
            return pending;
        }

        // GitLab Premium puts its checks (requested changes, approvals, blocking MRs…) before the Free ones.
        if (mr.Project.ApprovalsRequired > mr.ApprovedBy.Count)
        {
            return "not_approved";
        }

        if (mr.State != "opened")
        {
            return "not_open";
        }

        if (mr.Draft)
        {
            return "draft_status";
        }

        if (HasNoCommits(mr))
        {
            return "commits_status";
        }

        // A check the emulator does not model (discussions_not_resolved, ci_must_pass…): it comes before the git checks.
        if (mr.MergeStatusOverride is { } other && other != "mergeable")
        {
            return other;
        }

        if (mr.HasConflicts)
        {
            return "conflict";
        }

        return NeedsRebase(mr) ? "need_rebase" : "mergeable";
    }

    /// <summary>
    /// GitLab's <c>has_conflicts</c> is <c>cannot_be_merged?</c>: the git check's verdict, which is also "cannot" for an MR
    /// without commits, and not yet known (false) while the check is pending or re-running.
    /// </summary>
    public static bool CannotBeMerged(MergeRequestEntity mr) =>
        !(mr.MergeStatusOverride is { } pending && AsyncStates.Contains(pending)) && (mr.HasConflicts || HasNoCommits(mr));

    /// <summary>The deprecated <c>merge_status</c>: the git check's state, <c>checking</c> for both preparing and re-checking.</summary>
    public static string MergeStatus(MergeRequestEntity mr) => mr.MergeStatusOverride switch
    {
        "unchecked" => "unchecked",
        "checking" or "preparing" => "checking",
        _ => CannotBeMerged(mr) ? "cannot_be_merged" : "can_be_merged",
    };

    /// <summary>The source branch adds nothing to its merge base with the target.</summary>
    public static bool HasNoCommits(MergeRequestEntity mr) => mr.Sha == mr.BaseSha;

    /// <summary>
    /// <c>should_be_rebased?</c>: only for projects whose merge method is <c>ff</c> or <c>rebase_merge</c>
    /// (<c>ff_merge_must_be_possible?</c>), when the target branch's head is not an ancestor of the MR's head.
    /// </summary>
    public static bool NeedsRebase(MergeRequestEntity mr)
    {
        var project = mr.Project;
        if (project.MergeMethod is not ("ff" or "rebase_merge") || !project.Branches.TryGetValue(mr.TargetBranch, out var target))
        {
            return false;
        }

        return !Ancestry(project, mr.Sha).Contains(target);
    }

    /// <summary>
    /// <c>diverged_commits_count</c>: the commits of the target branch that the source branch lacks, between the two branch
    /// heads; 0 when either branch is gone.
    /// </summary>
    public static int DivergedCommitsCount(MergeRequestEntity mr)
    {
        var project = mr.Project;
        if (!project.Branches.TryGetValue(mr.SourceBranch, out var source) || !project.Branches.TryGetValue(mr.TargetBranch, out var target))
        {
            return 0;
        }

        var sourceAncestry = Ancestry(project, source);
        return Ancestry(project, target).Count(sha => !sourceAncestry.Contains(sha));
    }

    private static HashSet<string> Ancestry(ProjectEntity project, string head)
    {
        var shas = new HashSet<string>(StringComparer.Ordinal);
        for (var sha = head; sha is not null && project.Commits.TryGetValue(sha, out var commit); sha = commit.ParentSha)
        {
            shas.Add(sha);
        }

        return shas;
    }
}
