namespace GitLabMrBot.Inbox;

/// <summary>
/// What an operator does to the inbox by hand (<c>mrbot deliveries</c>, <c>/api/deliveries</c>): look at one delivery,
/// re-queue a dead letter, drop one, and read the backlog. Implemented by both store providers beside
/// <see cref="IInboxStore"/>, whose methods the worker uses and which this leaves untouched.
/// </summary>
public interface IInboxAdmin
{
    /// <summary>The delivery with this id; null when the store has none.</summary>
    Task<StoredDelivery?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Re-queues a dead letter: pending, due now, attempts reset to 0 (its last error is kept). Idempotent: a delivery
    /// in any other state is left as it is and answered with that state (<see cref="RetryResult.Requeued"/> false).
    /// </summary>
    Task<RetryResult> RetryAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes a dead (or done) delivery. One still waiting or in flight is not dropped: the worker owns it
    /// (<see cref="DropResult.Refused"/>, with its state).
    /// </summary>
    Task<DropResult> DropAsync(string id, CancellationToken cancellationToken);

    /// <summary>How much work waits, and since when (for /readyz and operators).</summary>
    Task<InboxAdminBacklog> BacklogAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The newest <paramref name="limit"/> dead letters, newest first, without their bodies (empty): what a list shows,
    /// however many dead letters and however large their payloads.
    /// </summary>
    Task<IReadOnlyList<StoredDelivery>> ListDeadAsync(int limit, CancellationToken cancellationToken);
}

/// <param name="Delivery">The delivery after the call; null when the store has no delivery with that id.</param>
/// <param name="Requeued">True when this call moved it from dead to pending.</param>
public sealed record RetryResult(StoredDelivery? Delivery, bool Requeued);

public enum DropOutcome
{
    Dropped,
    NotFound,
    Refused,
}

/// <param name="Status">The delivery's state when it was not dropped (<see cref="DropOutcome.Refused"/>).</param>
public sealed record DropResult(DropOutcome Outcome, DeliveryStatus? Status = null);

/// <param name="Waiting">Pending or in flight.</param>
/// <param name="OldestWaitingReceivedAt">When the oldest waiting delivery was received; null when none waits.</param>
/// <param name="Dead">Dead letters kept.</param>
public sealed record InboxAdminBacklog(long Waiting, DateTimeOffset? OldestWaitingReceivedAt, long Dead);
