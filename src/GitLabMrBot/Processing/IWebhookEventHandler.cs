namespace GitLabMrBot.Processing;

/// <summary>
/// Handles one typed GitLab event of a claimed batch. Handlers decide which merge requests need reconciling and
/// add them to the <see cref="WebhookEventContext"/>; the processor then reconciles each MR once per batch.
/// They read GitLab only to find those MRs (a push's MRs, a commander's access) and queue other MRs' work in
/// the inbox (<see cref="ReconcileQueue"/>) rather than evaluate them outside those MRs' ordering.
/// </summary>
public interface IWebhookEventHandler<in TEvent>
    where TEvent : class
{
    Task HandleAsync(TEvent webhookEvent, WebhookEventContext context, CancellationToken cancellationToken);
}
