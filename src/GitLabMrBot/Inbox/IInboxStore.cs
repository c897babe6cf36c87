namespace GitLabMrBot.Inbox;

/// <summary>
/// The durable inbox: every accepted webhook delivery is committed here before the webhook answers,
/// and the worker claims, processes and completes deliveries from here. SQLite by default,
/// PostgreSQL for several instances; both pass the same contract tests.
/// </summary>
public interface IInboxStore
{
    /// <summary>
    /// Commits a delivery durably (group commit: concurrent calls share one transaction) and returns
    /// whether it was new or a duplicate of an earlier one with the same <see cref="NewDelivery.DedupeKey"/>.
    /// Throws <see cref="InboxUnavailableException"/> when the store cannot commit.
    /// </summary>
    Task<AppendResult> AppendAsync(NewDelivery delivery, CancellationToken cancellationToken);

    /// <summary>
    /// Claims, under a lease held by <paramref name="owner"/>, every due pending delivery of the subject
    /// whose oldest due delivery is oldest, skipping subjects that have a delivery in flight (unexpired lease).
    /// Deliveries in flight whose lease expired count as pending again. Returns null when nothing is due.
    /// </summary>
    Task<ClaimedBatch?> ClaimNextAsync(string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Extends the lease of a batch still being processed; false when the lease was lost.</summary>
    Task<bool> RenewLeaseAsync(ClaimedBatch batch, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Gives a batch back without a verdict on its deliveries: every delivery the owner still holds is pending again,
    /// due at <paramref name="dueAt"/>, its attempts unchanged (a graceful stop interrupted it, or GitLab was down or
    /// asked to wait). <paramref name="reason"/>, when not null, is recorded as the last error.
    /// </summary>
    Task ReleaseAsync(ClaimedBatch batch, DateTimeOffset dueAt, string? reason, CancellationToken cancellationToken);

    /// <summary>
    /// Called once when a worker starts: ends at once the claims that no live worker can hold, as if their leases had
    /// run out (the next claim counts their unfinished attempt, so a payload that crashes the process still ends as a
    /// dead letter). SQLite: every claim, since one process owns the file and this one has claimed nothing yet.
    /// PostgreSQL: none, since other instances may be alive; their heartbeats stop when they die and the leases expire.
    /// Returns how many deliveries were freed.
    /// </summary>
    Task<int> ExpireOrphanedClaimsAsync(CancellationToken cancellationToken);

    /// <summary>Marks every delivery of the batch done.</summary>
    Task CompleteAsync(ClaimedBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// Records a failed attempt for every delivery of the batch: pending again at <paramref name="retryAt"/>,
    /// or dead-lettered with <paramref name="error"/> when <paramref name="retryAt"/> is null. Never deletes.
    /// </summary>
    Task FailAsync(ClaimedBatch batch, string error, DateTimeOffset? retryAt, CancellationToken cancellationToken);

    /// <summary>When the next pending delivery becomes due (null: none pending), so the worker can sleep until then.</summary>
    Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken);

    /// <summary>Deletes done deliveries completed before <paramref name="completedBefore"/>; dead letters stay.</summary>
    Task<int> PruneAsync(DateTimeOffset completedBefore, CancellationToken cancellationToken);

    /// <summary>True when the store answers (for /readyz and doctor).</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);

    /// <summary>The deliveries in the store, oldest first (for tests, doctor and operators).</summary>
    Task<IReadOnlyList<StoredDelivery>> ListAsync(DeliveryStatus? status, CancellationToken cancellationToken);

    /// <summary>
    /// The backlog for the metrics gauges: how many deliveries are not finished, and how long the longest-waiting due one
    /// has waited. The stores answer from their index of unfinished work; this fallback reads every delivery.
    /// </summary>
    async Task<InboxBacklog> MeasureBacklogAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var open = (await ListAsync(null, cancellationToken)).Where(d => d.Status is DeliveryStatus.Pending or DeliveryStatus.Processing).ToList();
        var due = open.Where(d => d.Status == DeliveryStatus.Pending && d.NextAttemptAt <= now).Select(d => d.NextAttemptAt).DefaultIfEmpty(now).Min();
        return new InboxBacklog(open.Count, now - due);
    }
}

/// <summary>Deliveries not finished, and how long the longest-waiting due one has waited since it became due.</summary>
public sealed record InboxBacklog(long Depth, TimeSpan OldestDueAge);

/// <summary>Raised when the store cannot commit; the webhook answers 503 so GitLab's delivery is not lost silently.</summary>
public sealed class InboxUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

public enum DeliveryStatus
{
    Pending,
    Processing,
    Done,
    Dead,
}

/// <summary>
/// What the webhook stores. <see cref="Subject"/> is the unit of ordering and coalescing
/// (e.g. <c>mr:42:7</c> for MR !7 of project 42): never two deliveries of one subject in flight.
/// </summary>
public sealed record NewDelivery(
    string DedupeKey,
    string Event,
    string Subject,
    string? EventUuid,
    DateTimeOffset ReceivedAt,
    ReadOnlyMemory<byte> Body)
{
    /// <summary>
    /// When the delivery may first be claimed; null (webhooks) means at once. The bot's own scheduled work
    /// (e.g. re-checking an MR's mergeability later) uses it, so the schedule is durable like any delivery.
    /// </summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>The W3C <c>traceparent</c> of the webhook request, so the worker's processing continues its trace.</summary>
    public string? TraceParent { get; init; }
}

public sealed record AppendResult(string DeliveryId, bool Duplicate);

public sealed record StoredDelivery(
    string Id,
    string DedupeKey,
    string Event,
    string Subject,
    string? EventUuid,
    DateTimeOffset ReceivedAt,
    ReadOnlyMemory<byte> Body,
    DeliveryStatus Status,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LastError)
{
    /// <summary>The W3C <c>traceparent</c> of the webhook request that brought it, when one was recorded.</summary>
    public string? TraceParent { get; init; }
}

/// <summary>Deliveries of one subject claimed together, oldest first; processed as one evaluation.</summary>
public sealed record ClaimedBatch(string Owner, string Subject, IReadOnlyList<StoredDelivery> Deliveries)
{
    /// <summary>The attempt number this processing is (1 for the first), the highest among the batch.</summary>
    public int Attempt => Deliveries.Count == 0 ? 1 : Deliveries.Max(d => d.Attempts) + 1;
}

/// <summary>
/// A store that can tell whether it writes (a full disk leaves reads working): readiness asks it besides
/// <see cref="IInboxStore.PingAsync"/>.
/// </summary>
public interface IInboxWriteHealth
{
    /// <summary>Null when the store writes, else why not (e.g. "the store cannot write: database or disk is full").</summary>
    Task<string?> WriteProblemAsync(CancellationToken cancellationToken);
}
