using GitLabMrBot.Events;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>The default reconciler until the policy engine replaces it: records what would be reconciled.</summary>
public sealed partial class LoggingMergeRequestReconciler(ILogger<LoggingMergeRequestReconciler> logger) : IMergeRequestReconciler
{
    public Task ReconcileAsync(MergeRequestRef mergeRequest, ReconcileContext context, CancellationToken cancellationToken)
    {
        Log.Reconcile(logger, mergeRequest.ProjectId, mergeRequest.Iid, context.DeliveryIds.Count, context.DeliveryIds);
        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4901, Level = LogLevel.Information, Message = "Reconcile {ProjectId}!{Iid} for {Count} deliveries ({DeliveryIds}); no policy engine registered yet")]
        public static partial void Reconcile(ILogger logger, long projectId, long iid, int count, IReadOnlyList<string> deliveryIds);
    }
}
