using GitLabMrBot.Events;

namespace GitLabMrBot.Processing;

/// <summary>Any merge request event is a trigger to reconcile that MR (docs/contract.md §2: reconcile, don't react).</summary>
public sealed partial class MergeRequestEventHandler(ILogger<MergeRequestEventHandler> logger) : IWebhookEventHandler<MergeRequestEvent>
{
    public Task HandleAsync(MergeRequestEvent webhookEvent, WebhookEventContext context, CancellationToken cancellationToken)
    {
        var attributes = webhookEvent.ObjectAttributes;
        Log.MergeRequestEvent(logger, attributes.Action, webhookEvent.Project.Id, attributes.Iid, attributes.State);
        context.ReconcileMergeRequest(new MergeRequestRef(webhookEvent.Project.Id, attributes.Iid));
        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "Merge request event '{Action}' on {ProjectId}!{Iid} (state {State})")]
        public static partial void MergeRequestEvent(ILogger logger, string? action, long projectId, long iid, string? state);
    }
}
