using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Inbox;
using GitLabMrBot.Processing.Reconciliation;
using GitLabMrBot.Storage;

namespace GitLabMrBot.Processing;

/// <summary>
/// The worker's processing step (in the manner of Octokit.Webhooks' <c>WebhookEventProcessor</c>): each delivery of a
/// claimed batch is deserialized to the type its stored event header names (<c>System Hook</c>: its <c>object_kind</c>)
/// and handed to that type's handler; then every distinct MR the handlers asked for is reconciled once.
/// The bot's own <see cref="ReconcileRequest"/> deliveries (pushes, sweep, re-checks) join the same set.
/// A payload that cannot be read is set aside alone (a dead letter with its reason) while the rest of the batch goes on;
/// a 404 for the MR or its project ends the batch without retries (issue 12, defect 3).
/// Every project seen is remembered for the reconcile sweep. Resolved in the worker's scope for the batch, so the
/// handlers, the reconciler and the executor share that one scope.
/// </summary>
public sealed partial class WebhookEventProcessor(IServiceProvider services, ILogger<WebhookEventProcessor> logger) : IDeliveryProcessor
{
    public async Task ProcessAsync(ClaimedBatch batch, CancellationToken cancellationToken)
    {
        var reconcileSet = new ReconcileSet();
        var projects = new HashSet<long>();

        // Merge request events of one MR are interchangeable triggers (the reconciler reads the MR's current state),
        // so a burst coalesced into an MR's batch is read once: the newest stands for the rest. Notes and pushes each
        // carry their own content (a command, a branch) and are all read.
        var subjectMergeRequest = MergeRequestRef.FromSubject(batch.Subject);
        var newestMergeRequestEvent = subjectMergeRequest is null ? null : batch.Deliveries.LastOrDefault(d => d.Event == GitLabEvents.MergeRequestHook);
        foreach (var delivery in batch.Deliveries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (newestMergeRequestEvent is not null && delivery.Event == GitLabEvents.MergeRequestHook && !ReferenceEquals(delivery, newestMergeRequestEvent))
            {
                reconcileSet.Add(subjectMergeRequest!.Value, delivery, recheckAttempt: 0);
                continue;
            }
            long? projectId;
            try
            {
                projectId = await DispatchAsync(delivery, new WebhookEventContext(delivery, reconcileSet), cancellationToken);
            }
            catch (WebhookPayloadException e) when (services.GetService<SetAsideDeliveries>() is { } setAside)
            {
                // Unreadable now is unreadable on every retry: this delivery alone is set aside, and the rest of the batch
                // (an older event of the same MR among them) is still processed.
                Log.SetAside(logger, delivery.Id, delivery.Event, e.Message);
                setAside.Add(delivery, e.Message);
                continue;
            }
            catch (GitLabApiException e) when (IsGone(e, mergeRequest: null))
            {
                // A push whose project GitLab does not know: its merge requests cannot be listed, now or later.
                Log.Gone(logger, delivery.Subject, e.Message);
                continue;
            }
            if (projectId is { } known)
            {
                projects.Add(known);
            }
        }

        if (projects.Count > 0 && services.GetService<ISweepState>() is { } sweepState)
        {
            await sweepState.RememberProjectsAsync(projects, cancellationToken);
        }

        if (reconcileSet.Replies.Count > 0)
        {
            var executor = services.GetRequiredService<PlanExecutor>();
            foreach (var reply in reconcileSet.Replies)
            {
                await executor.ApplyReplyAsync(reply, cancellationToken);
            }
        }

        if (reconcileSet.Count == 0)
        {
            return;
        }

        var reconciler = services.GetRequiredService<IMergeRequestReconciler>();
        foreach (var (mergeRequest, context) in reconcileSet.Contexts())
        {
            using var logScope = logger.BeginScope(new Dictionary<string, object?>
            {
                ["DeliveryIds"] = context.DeliveryIds,
                ["ProjectId"] = mergeRequest.ProjectId,
                ["MergeRequestIid"] = mergeRequest.Iid,
            });
            Log.Reconciling(logger, mergeRequest.ProjectId, mergeRequest.Iid, context.DeliveryIds.Count);
            try
            {
                await reconciler.ReconcileAsync(mergeRequest, context, cancellationToken);
            }
            catch (GitLabApiException e) when (IsGone(e, mergeRequest))
            {
                // GitLab says the MR or its project does not exist (or is hidden from the bot, which GitLab answers the same
                // way; docs/gitlab-behaviour.md): no retry can change that, so the deliveries end here, done, with this log.
                Log.Gone(logger, mergeRequest.Subject, e.Message);
            }
        }
    }

    /// <summary>
    /// A 404 for the project itself, its MR list, or the MR: the subject does not exist for the bot. A 404 deeper down (a note,
    /// a user) is not: the MR is read first in every evaluation, so a vanished MR shows on that read at the next attempt.
    /// </summary>
    private static bool IsGone(GitLabApiException e, MergeRequestRef? mergeRequest)
    {
        if (!e.IsNotFound || !e.Path.StartsWith("/projects/", StringComparison.Ordinal))
        {
            return false;
        }
        var parts = e.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (mergeRequest is { } mr && parts[1] != mr.ProjectId.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            return false;
        }
        return parts.Length switch
        {
            2 => true,
            3 => parts[2] == "merge_requests",
            4 => parts[2] == "merge_requests" && (mergeRequest is null || parts[3] == mergeRequest.Value.Iid.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            _ => false,
        };
    }

    /// <summary>Hands the delivery to its handler; returns the project it is about (null when skipped).</summary>
    private async Task<long?> DispatchAsync(StoredDelivery delivery, WebhookEventContext context, CancellationToken cancellationToken)
    {
        if (delivery.Event == ReconcileRequest.EventName)
        {
            var request = ReconcileQueue.Read(delivery);
            Log.ReconcileRequest(logger, delivery.Id, request.Reason, request.ProjectId, request.Iid, request.RecheckAttempt);
            // A mergeability re-check is the bot's own follow-up, as the sweep is: neither is news from a person.
            context.ReconcileMergeRequest(request.MergeRequest, request.RecheckAttempt,
                sweep: request.Reason is ReconcileRequest.SweepReason or ReconcileRequest.MergeabilityReason);
            return request.ProjectId;
        }

        switch (KindOf(delivery))
        {
            case WebhookEventKind.MergeRequest:
                var mergeRequestEvent = Read(delivery, WebhookJsonContext.Default.MergeRequestEvent);
                using (BeginDeliveryScope(delivery, mergeRequestEvent.Project.Id, mergeRequestEvent.ObjectAttributes.Iid))
                {
                    await services.GetRequiredService<IWebhookEventHandler<MergeRequestEvent>>().HandleAsync(mergeRequestEvent, context, cancellationToken);
                }
                return mergeRequestEvent.Project.Id;

            case WebhookEventKind.Note:
                var noteEvent = Read(delivery, WebhookJsonContext.Default.NoteEvent);
                using (BeginDeliveryScope(delivery, noteEvent.Project?.Id ?? noteEvent.ProjectId, noteEvent.MergeRequest?.Iid))
                {
                    await services.GetRequiredService<IWebhookEventHandler<NoteEvent>>().HandleAsync(noteEvent, context, cancellationToken);
                }
                return noteEvent.Project?.Id ?? noteEvent.ProjectId;

            case WebhookEventKind.Push:
                var pushEvent = Read(delivery, WebhookJsonContext.Default.PushEvent);
                using (BeginDeliveryScope(delivery, pushEvent.ProjectId ?? pushEvent.Project?.Id, null))
                {
                    await services.GetRequiredService<IWebhookEventHandler<PushEvent>>().HandleAsync(pushEvent, context, cancellationToken);
                }
                return pushEvent.ProjectId ?? pushEvent.Project?.Id;

            default:
                // The webhook stores only handled events, so this is a delivery from a newer or older version:
                // retrying would never help, so it is skipped rather than dead-lettered.
                Log.UnknownEvent(logger, delivery.Id, delivery.Event);
                return null;
        }
    }

    private static WebhookEventKind? KindOf(StoredDelivery delivery)
    {
        if (delivery.Event != GitLabEvents.SystemHook)
        {
            return GitLabEvents.KindOf(delivery.Event, null);
        }

        try
        {
            using var document = JsonDocument.Parse(delivery.Body);
            var objectKind = document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("object_kind"u8, out var kind)
                && kind.ValueKind == JsonValueKind.String
                    ? kind.GetString()
                    : null;
            return GitLabEvents.KindOf(delivery.Event, objectKind);
        }
        catch (JsonException e)
        {
            throw new WebhookPayloadException(delivery, "object_kind", e);
        }
    }

    private static T Read<T>(StoredDelivery delivery, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(delivery.Body.Span, typeInfo)
                ?? throw new WebhookPayloadException(delivery, typeof(T).Name, new JsonException("The payload is null."));
        }
        catch (JsonException e)
        {
            throw new WebhookPayloadException(delivery, typeof(T).Name, e);
        }
    }

    private IDisposable? BeginDeliveryScope(StoredDelivery delivery, long? projectId, long? mergeRequestIid) =>
        logger.BeginScope(new Dictionary<string, object?>
        {
            ["DeliveryId"] = delivery.Id,
            ["Event"] = delivery.Event,
            ["ProjectId"] = projectId,
            ["MergeRequestIid"] = mergeRequestIid,
        });

    private static partial class Log
    {
        [LoggerMessage(EventId = 3091, Level = LogLevel.Error, Message = "Delivery {DeliveryId} ({Event}) cannot be read and is set aside as a dead letter; the rest of its batch goes on: {Reason}")]
        public static partial void SetAside(ILogger logger, string deliveryId, string @event, string reason);

        [LoggerMessage(EventId = 3092, Level = LogLevel.Warning, Message = "{Subject} does not exist for the bot (GitLab answered 404); its deliveries end without retries: {Reason}")]
        public static partial void Gone(ILogger logger, string subject, string reason);

        [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Delivery {DeliveryId} has event '{Event}', which no handler handles; skipped")]
        public static partial void UnknownEvent(ILogger logger, string deliveryId, string @event);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Reconciling {ProjectId}!{Iid} for {Count} deliveries")]
        public static partial void Reconciling(ILogger logger, long projectId, long iid, int count);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Delivery {DeliveryId} asks to evaluate {ProjectId}!{Iid} ({Reason}, re-check {RecheckAttempt})")]
        public static partial void ReconcileRequest(ILogger logger, string deliveryId, string reason, long projectId, long iid, int recheckAttempt);
    }
}

/// <summary>A stored delivery whose payload cannot be read as its event type; the worker retries, then dead-letters it.</summary>
public sealed class WebhookPayloadException(StoredDelivery delivery, string expected, JsonException inner)
    : Exception($"Delivery {delivery.Id} ({delivery.Event}) could not be read as {expected}: {inner.Message}", inner);
