namespace GitLabMrBot.Inbox;

/// <summary>
/// What the worker calls for each claimed batch. Returning normally completes the batch;
/// throwing records a failed attempt (retried with backoff, then dead-lettered).
/// </summary>
public interface IDeliveryProcessor
{
    Task ProcessAsync(ClaimedBatch batch, CancellationToken cancellationToken);
}
