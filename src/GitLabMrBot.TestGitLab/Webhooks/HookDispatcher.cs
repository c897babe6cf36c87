using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using GitLabMrBot.TestGitLab.Model;

namespace GitLabMrBot.TestGitLab.Webhooks;

/// <summary>One webhook request the emulator sent, and how the receiver answered.</summary>
public sealed record WebhookDelivery(
    int HookId,
    string Url,
    string Event,
    string EventUuid,
    string IdempotencyKey,
    string WebhookUuid,
    IReadOnlyDictionary<string, string> Headers,
    string Body,
    int? StatusCode,
    string? Error,
    DateTimeOffset SentAt)
{
    public JsonObject Payload => JsonNode.Parse(Body)!.AsObject();

    public bool Succeeded => StatusCode is >= 200 and < 400;
}

/// <summary>A delivery GitLab's recursion detection refused to send (docs/gitlab-behaviour.md §1.8).</summary>
public sealed record BlockedDelivery(int HookId, string Event, string EventUuid, string Body);

/// <summary>
/// The recursion-detection UUIDs of one originating request or UI action: the request's own
/// <c>X-Gitlab-Event-UUID</c> when it carried one, else a fresh UUID per hook (Gitlab::WebHooks::RecursionDetection::UUID).
/// </summary>
internal sealed class EventScope(string? requestUuid)
{
    private readonly Dictionary<int, string> perHook = [];

    public string? RequestUuid { get; } = requestUuid;

    public string UuidFor(HookEntity hook)
    {
        if (RequestUuid is not null)
        {
            return RequestUuid;
        }

        if (!perHook.TryGetValue(hook.Id, out var uuid))
        {
            uuid = Guid.NewGuid().ToString();
            perHook[hook.Id] = uuid;
        }

        return uuid;
    }
}

/// <summary>
/// Sends webhooks the way GitLab's Sidekiq workers do: after the triggering call has returned, in order per hook,
/// with GitLab's headers, a 10 s timeout and no retry; blocked by recursion detection when the triggering request
/// carried an event UUID this hook already received.
/// </summary>
internal sealed class HookDispatcher : IAsyncDisposable
{
    private const int RecursionCountLimit = 100;

    private readonly Urls urls;
    private readonly TimeProvider time;
    private readonly HttpClient http;
    private readonly CancellationTokenSource stopping = new();
    private readonly Lock gate = new();
    private readonly Dictionary<int, Channel<Pending>> queues = [];
    private readonly List<Task> workers = [];
    private readonly Dictionary<string, HashSet<int>> fired = new(StringComparer.Ordinal);
    private readonly List<WebhookDelivery> deliveries = [];
    private readonly List<BlockedDelivery> blocked = [];
    private int pending;
    private TaskCompletionSource idle = NewCompleted();

    public HookDispatcher(Urls urls, TimeProvider time)
    {
        this.urls = urls;
        this.time = time;
        http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    }

    public string GitLabVersion { get; init; } = Api.Versions.GitLab;

    /// <summary>Called after each delivery attempt with whether it succeeded, before it counts as done (auto-disable state).</summary>
    public Action<HookEntity, bool>? Delivered { get; set; }

    private sealed record Pending(HookEntity Hook, string Event, string EventUuid, string IdempotencyKey, string Body);

    public IReadOnlyList<WebhookDelivery> Deliveries
    {
        get
        {
            lock (gate)
            {
                return [.. deliveries];
            }
        }
    }

    public IReadOnlyList<BlockedDelivery> Blocked
    {
        get
        {
            lock (gate)
            {
                return [.. blocked];
            }
        }
    }

    public void Enqueue(HookEntity hook, string eventName, JsonObject payload, EventScope scope)
    {
        var body = payload.ToJsonString();
        lock (gate)
        {
            if (scope.RequestUuid is { } requestUuid
                && fired.TryGetValue(requestUuid, out var seen)
                && (seen.Contains(hook.Id) || seen.Count >= RecursionCountLimit))
            {
                blocked.Add(new BlockedDelivery(hook.Id, eventName, requestUuid, body));
                return;
            }

            var uuid = scope.UuidFor(hook);
            if (!fired.TryGetValue(uuid, out var set))
            {
                set = [];
                fired[uuid] = set;
            }

            set.Add(hook.Id);
            if (pending++ == 0)
            {
                idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            if (!queues.TryGetValue(hook.Id, out var queue))
            {
                queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
                queues[hook.Id] = queue;
                workers.Add(Task.Run(() => DeliverAsync(queue.Reader)));
            }

            queue.Writer.TryWrite(new Pending(hook, eventName, uuid, Guid.NewGuid().ToString(), body));
        }
    }

    /// <summary>Completes when every delivery triggered so far has been sent (or failed).</summary>
    public Task WhenIdle()
    {
        lock (gate)
        {
            return idle.Task;
        }
    }

    private async Task DeliverAsync(ChannelReader<Pending> reader)
    {
        try
        {
            await foreach (var item in reader.ReadAllAsync(stopping.Token))
            {
                var delivery = await SendAsync(item);
                Delivered?.Invoke(item.Hook, delivery.Succeeded);
                lock (gate)
                {
                    deliveries.Add(delivery);
                    if (--pending == 0)
                    {
                        idle.TrySetResult();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Disposed: undelivered items are dropped, as GitLab drops them when its workers stop.
        }
    }

    private async Task<WebhookDelivery> SendAsync(Pending item)
    {
        var webhookUuid = Guid.NewGuid().ToString();
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Type"] = "application/json",
            ["User-Agent"] = $"GitLab/{GitLabVersion}",
            ["X-Gitlab-Event"] = item.Event,
            ["X-Gitlab-Instance"] = urls.Root,
            ["X-Gitlab-Webhook-UUID"] = webhookUuid,
            ["X-Gitlab-Event-UUID"] = item.EventUuid,
            ["Idempotency-Key"] = item.IdempotencyKey,
        };
        if (!string.IsNullOrEmpty(item.Hook.Token))
        {
            headers["X-Gitlab-Token"] = item.Hook.Token.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, item.Hook.Url)
        {
            Content = new StringContent(item.Body, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in headers)
        {
            if (!name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        int? status = null;
        string? error = null;
        try
        {
            using var response = await http.SendAsync(request, stopping.Token);
            status = (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stopping.IsCancellationRequested)
        {
            // GitLab logs these as "internal error" and does not retry (docs/gitlab-behaviour.md §1.5).
            error = e.Message;
        }

        return new WebhookDelivery(
            item.Hook.Id, item.Hook.Url, item.Event, item.EventUuid, item.IdempotencyKey, webhookUuid,
            headers, item.Body, status, error, time.GetUtcNow());
    }

    public async ValueTask DisposeAsync()
    {
        Task[] running;
        lock (gate)
        {
            foreach (var q in queues.Values)
            {
                q.Writer.TryComplete();
            }

            running = [.. workers];
        }

        await stopping.CancelAsync();
        await Task.WhenAll(running).ConfigureAwait(false);
        http.Dispose();
        stopping.Dispose();
    }

    private static TaskCompletionSource NewCompleted()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tcs.SetResult();
        return tcs;
    }
}
