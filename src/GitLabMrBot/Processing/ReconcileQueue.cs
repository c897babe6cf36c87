using System.Text.Json;
using GitLabMrBot.Inbox;

namespace GitLabMrBot.Processing;

/// <summary>
/// Queues an evaluation of one MR as a <see cref="ReconcileRequest"/> in the inbox, so it runs under that MR's
/// ordering (never beside another evaluation of it) and coalesces with whatever is already queued for it.
/// </summary>
public sealed class ReconcileQueue(IInboxStore store, TimeProvider time)
{
    /// <summary>
    /// Appends the request; false when <paramref name="dedupeKey"/> was queued before (a retried push or sweep
    /// queues nothing twice). <paramref name="notBefore"/> delays it, durably.
    /// </summary>
    public async Task<bool> QueueAsync(
        ReconcileRequest request,
        string dedupeKey,
        string? eventUuid,
        CancellationToken cancellationToken,
        DateTimeOffset? notBefore = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = JsonSerializer.SerializeToUtf8Bytes(request, ReconcileRequestJsonContext.Default.ReconcileRequest);
        var delivery = new NewDelivery(dedupeKey, ReconcileRequest.EventName, request.MergeRequest.Subject, eventUuid, time.GetUtcNow(), body)
        {
            NotBefore = notBefore,
        };
        var result = await store.AppendAsync(delivery, cancellationToken);
        return !result.Duplicate;
    }

    internal static ReconcileRequest Read(StoredDelivery delivery)
    {
        try
        {
            return JsonSerializer.Deserialize(delivery.Body.Span, ReconcileRequestJsonContext.Default.ReconcileRequest)
                ?? throw new WebhookPayloadException(delivery, nameof(ReconcileRequest), new JsonException("The payload is null."));
        }
        catch (JsonException e)
        {
            throw new WebhookPayloadException(delivery, nameof(ReconcileRequest), e);
        }
    }
}
