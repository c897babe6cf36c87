using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Processing.Reconciliation;

namespace GitLabMrBot.Processing;

/// <summary>
/// A push moves a branch. Every open MR whose source it is has new commits (files, size, commit messages), and
/// every open MR whose target it is may now conflict or need a rebase: each is queued as its own MR work
/// (<see cref="ReconcileQueue"/>), so it is evaluated under that MR's ordering, coalesced with whatever else is
/// queued for it, never beside another evaluation of it. Tag pushes and branch deletions change no MR.
/// For an MR only into the branch, GitLab changes nothing but its mergeability, which it marks unchecked and
/// computes later (docs/gitlab-behaviour.md §3.2): it is queued as a mergeability re-check (which reads only the MR
/// until GitLab has the answer), the first <see cref="BatchSize"/> at once and each further batch
/// <see cref="BatchSpacing"/> later, so a push to a branch hundreds of MRs target does not spend the API budget
/// every other MR's events are waiting on all at once.
/// </summary>
public sealed partial class PushEventHandler(
    IGitLabDirectory gitLab, ReconcileQueue queue, BranchHeads branchHeads, TimeProvider time, ILogger<PushEventHandler> logger,
    ProjectConfigMemory? projectConfigs = null) : IWebhookEventHandler<PushEvent>
{
    /// <summary>MRs into the pushed branch re-checked together.</summary>
    public const int BatchSize = 20;

    /// <summary>Between two batches of <see cref="BatchSize"/>: 20 MR reads a second at most, well under GitLab.com's 2,000 a minute per user.</summary>
    public static readonly TimeSpan BatchSpacing = TimeSpan.FromSeconds(1);

    /// <summary>When the re-check of the <paramref name="index"/>-th MR into the pushed branch (0-based) is due; null: at once.</summary>
    public static DateTimeOffset? RecheckDue(DateTimeOffset now, int index) =>
        index < BatchSize ? null : now + (index / BatchSize) * BatchSpacing;

    public async Task HandleAsync(PushEvent webhookEvent, WebhookEventContext context, CancellationToken cancellationToken)
    {
        var projectId = webhookEvent.EffectiveProjectId;
        // The webhook already answers these "ignored"; older stored deliveries (or system hooks) may still hold some.
        if (webhookEvent.Branch is not { } branch || webhookEvent.IsDeletion)
        {
            Log.Skipped(logger, webhookEvent.Ref, projectId);
            return;
        }

        if (webhookEvent.After is { } after)
        {
            // What is read at the branch's head (CODEOWNERS of the MRs into it) is read at this commit from now on.
            branchHeads.Set(projectId, branch, after);
        }
        if (branch == webhookEvent.Project?.DefaultBranch)
        {
            // The project's own policy file may have changed: looked up again at the next evaluation. Any push to the default
            // branch counts: a merge's push lists the merge commit, whose added/modified lists do not show the MR's files.
            projectConfigs?.Invalidate(projectId);
        }
        // A new branch is nobody's source yet: GitLab closes an open MR when its source branch is deleted
        // (docs/gitlab-behaviour.md §2.2), so no open MR can be waiting for this one to come back.
        IReadOnlyList<GitLabMergeRequest> fromBranch = webhookEvent.IsCreation
            ? []
            : await gitLab.ListMergeRequestsAsync(projectId, new MergeRequestFilter { State = "opened", SourceBranch = branch }, cancellationToken);
        var intoBranch = await gitLab.ListMergeRequestsAsync(projectId, new MergeRequestFilter { State = "opened", TargetBranch = branch }, cancellationToken);

        var queued = 0;
        foreach (var mr in fromBranch.DistinctBy(m => m.Iid))
        {
            var request = new ReconcileRequest { ProjectId = projectId, Iid = mr.Iid, Reason = ReconcileRequest.PushReason };
            // Keyed by the push delivery: a retried push batch queues nothing twice.
            if (await queue.QueueAsync(request, $"push:{context.Delivery.Id}:{projectId}:{mr.Iid}", context.Delivery.EventUuid, cancellationToken))
            {
                queued++;
            }
        }

        var sources = fromBranch.Select(m => m.Iid).ToHashSet();
        var now = time.GetUtcNow();
        var index = 0;
        foreach (var mr in intoBranch.DistinctBy(m => m.Iid).Where(m => !sources.Contains(m.Iid)))
        {
            // Re-check 1 of a series: GitLab has just marked the MR unchecked, so the first look reads the MR alone. Keyed
            // like every re-check ("recheck:") and by the push delivery, so a retried push batch queues nothing twice.
            var request = new ReconcileRequest { ProjectId = projectId, Iid = mr.Iid, Reason = ReconcileRequest.MergeabilityReason, RecheckAttempt = 1 };
            var key = $"recheck:{projectId}:{mr.Iid}:1:push-{context.Delivery.Id}";
            if (await queue.QueueAsync(request, key, context.Delivery.EventUuid, cancellationToken, notBefore: RecheckDue(now, index++)))
            {
                queued++;
            }
        }
        Log.Queued(logger, branch, projectId, fromBranch.Count, intoBranch.Count, queued);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Push to {Branch} of project {ProjectId}: {FromBranch} open MRs from it, {IntoBranch} into it; {Queued} evaluations queued")]
        public static partial void Queued(ILogger logger, string branch, long projectId, int fromBranch, int intoBranch, int queued);

        [LoggerMessage(EventId = 3302, Level = LogLevel.Debug, Message = "Push to {Ref} of project {ProjectId} skipped: a tag or a deleted branch moves no merge request")]
        public static partial void Skipped(ILogger logger, string @ref, long projectId);
    }
}
