using GitLabMrBot.Webhooks.Events;

namespace GitLabMrBot.Handlers;

/// <summary>
/// A push moves a branch: the open MRs whose source or target it is need reconciling (needs-rebase, new files).
/// Finding those MRs needs a GitLab lookup, which arrives with the GitLab client; until then the push is logged.
/// </summary>
public sealed partial class PushEventHandler(ILogger<PushEventHandler> logger) : IWebhookEventHandler<PushEvent>
{
    public Task HandleAsync(PushEvent webhookEvent, WebhookEventContext context, CancellationToken cancellationToken)
    {
        Log.PushEvent(logger, webhookEvent.Ref, webhookEvent.EffectiveProjectId, webhookEvent.TotalCommitsCount ?? webhookEvent.Commits?.Count ?? 0);
        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Push to {Ref} of project {ProjectId} ({Commits} commits); MR lookup for pushes is not enabled yet")]
        public static partial void PushEvent(ILogger logger, string @ref, long projectId, int commits);
    }
}
