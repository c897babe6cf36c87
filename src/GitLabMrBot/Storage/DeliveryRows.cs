using System.Data.Common;
using System.Globalization;
using GitLabMrBot.Inbox;

namespace GitLabMrBot.Storage;

/// <summary>How both store providers write a delivery row: the status words, the columns read back, the limits.</summary>
internal static class DeliveryRows
{
    public const string Pending = "pending";
    public const string Processing = "processing";
    public const string Done = "done";
    public const string Dead = "dead";

    /// <summary>The columns of a <see cref="StoredDelivery"/>, in the order the readers expect them.</summary>
    public const string Columns =
        "id, dedupe_key, event, subject, event_uuid, received_at, body, status, attempts, next_attempt_at, last_error, trace_parent";

    /// <summary><see cref="Columns"/> with no body (read as empty) in its place, for lists that never show payloads.</summary>
    public const string ColumnsWithoutBody =
        "id, dedupe_key, event, subject, event_uuid, received_at, NULL AS body, status, attempts, next_attempt_at, last_error, trace_parent";

    /// <summary>A last error is cut to this length: a stack trace must not bloat every row of a dead letter.</summary>
    public const int MaxErrorLength = 4000;

    /// <summary>Done deliveries deleted per prune statement, so a large prune never holds the writer for long.</summary>
    public const int PruneChunk = 5000;

    /// <summary>The last error of a delivery taken again after its lease expired (no quote: it is spliced into SQL).</summary>
    public const string LeaseExpiredError = "the lease expired before processing finished: the process stopped or hung";

    public static string Truncate(string error) => error.Length > MaxErrorLength ? error[..MaxErrorLength] : error;

    public static string StatusText(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Pending => Pending,
        DeliveryStatus.Processing => Processing,
        DeliveryStatus.Done => Done,
        DeliveryStatus.Dead => Dead,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown delivery status."),
    };

    public static DeliveryStatus ParseStatus(string text) => text switch
    {
        Pending => DeliveryStatus.Pending,
        Processing => DeliveryStatus.Processing,
        Done => DeliveryStatus.Done,
        Dead => DeliveryStatus.Dead,
        _ => throw new InvalidDataException($"Unknown delivery status '{text}' in the inbox."),
    };

    /// <summary>The delivery in the reader's current row, read in <see cref="Columns"/> order.</summary>
    public static StoredDelivery Read(DbDataReader reader) => new(
        Id: reader.GetInt64(0).ToString(CultureInfo.InvariantCulture),
        DedupeKey: reader.GetString(1),
        Event: reader.GetString(2),
        Subject: reader.GetString(3),
        EventUuid: reader.IsDBNull(4) ? null : reader.GetString(4),
        ReceivedAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
        Body: reader.IsDBNull(6) ? [] : reader.GetFieldValue<byte[]>(6),
        Status: ParseStatus(reader.GetString(7)),
        Attempts: reader.GetInt32(8),
        NextAttemptAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(9)),
        LastError: reader.IsDBNull(10) ? null : reader.GetString(10))
    {
        TraceParent = reader.IsDBNull(11) ? null : reader.GetString(11),
    };

    /// <summary>A traceparent is 55 characters; anything longer is not one and is not stored.</summary>
    public static string? TraceParentOrNull(string? traceParent) => traceParent is { Length: <= 64 } ? traceParent : null;

    /// <summary>
    /// Refuses a delivery no row could hold. Checked per caller before a group commit: a bad delivery inside one would
    /// fail every other caller's request.
    /// </summary>
    public static void Validate(NewDelivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        ArgumentException.ThrowIfNullOrEmpty(delivery.DedupeKey, nameof(delivery));
        ArgumentException.ThrowIfNullOrEmpty(delivery.Event, nameof(delivery));
        ArgumentException.ThrowIfNullOrEmpty(delivery.Subject, nameof(delivery));
    }
}
