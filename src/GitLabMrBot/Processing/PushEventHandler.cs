using GitLabMrBot.Events;
using GitLabMrBot.GitLab;

namespace GitLabMrBot.Processing;

/// <summary>
/// A push moves a branch. Every open MR whose source it is has new commits (files, size, commit messages), and
/// every open MR whose target it is may now conflict or need a rebase: each is queued as its own MR work
/// (<see cref="ReconcileQueue"/>), so it is evaluated under that MR's ordering, coalesced with whatever else is
/// queued for it, never beside another evaluation of it. Tag pushes and branch deletions change no MR.
/// </summary>
public sealed partial class PushEventHandler(IGitLabDirectory gitLab, ReconcileQueue queue, ILogger<PushEventHandler> logger) : IWebhookEventHandler<PushEvent>
{
    public async Task HandleAsync(PushEvent webhookEvent, WebhookEventContext context, CancellationToken cancellationToken)
    {
        var projectId = webhookEvent.EffectiveProjectId;
        // The webhook already answers these "ignored"; older stored deliveries (or system hooks) may still hold some.
        if (webhookEvent.Branch is not { } branch || webhookEvent.IsDeletion)
        {
            Log.Skipped(logger, webhookEvent.Ref, projectId);
            return;
        }

        var fromBranch = await gitLab.ListMergeRequestsAsync(projectId, new MergeRequestFilter { State = "opened", SourceBranch = branch }, cancellationToken);
        var intoBranch = await gitLab.ListMergeRequestsAsync(projectId, new MergeRequestFilter { State = "opened", TargetBranch = branch }, cancellationToken);

        var queued = 0;
        foreach (var mr in fromBranch.Concat(intoBranch).DistinctBy(m => m.Iid))
        {
            var request = new ReconcileRequest { ProjectId = projectId, Iid = mr.Iid, Reason = ReconcileRequest.PushReason };
            // Keyed by the push delivery: a retried push batch queues nothing twice.
            if (await queue.QueueAsync(request, $"push:{context.Delivery.Id}:{projectId}:{mr.Iid}", context.Delivery.EventUuid, cancellationToken))
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
