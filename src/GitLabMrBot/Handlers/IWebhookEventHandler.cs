namespace GitLabMrBot.Handlers;

/// <summary>
/// Handles one typed GitLab event of a claimed batch. Handlers do no GitLab I/O: they decide which merge
/// requests need reconciling and add them to the <see cref="WebhookEventContext"/>; the processor then
/// reconciles each MR once per batch.
/// </summary>
public interface IWebhookEventHandler<in TEvent>
    where TEvent : class
{
    Task HandleAsync(TEvent webhookEvent, WebhookEventContext context, CancellationToken cancellationToken);
}
