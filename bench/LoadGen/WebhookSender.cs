using System.Buffers;
using System.Net;

namespace LoadGen;

/// <summary>What is sent: the payload bytes and the headers GitLab itself sends with a Merge Request Hook.</summary>
internal sealed record WebhookTarget(Uri Url, byte[] Payload, string Secret, string Event);

/// <summary>The outcome of one request: the HTTP status (0 when none came back) and whether the bot said "accepted".</summary>
internal readonly record struct Outcome(int Status, bool Accepted, string? Error);

/// <summary>
/// Sends webhook deliveries over a fixed pool of keep-alive connections. Everything that is the same for
/// every request (headers, payload bytes) is built once, so the generator spends its share of the
/// 2 cores on the three per-request UUIDs and the socket work only.
/// </summary>
internal sealed class WebhookSender : IDisposable
{
    // The bot answers {"status":"accepted","delivery":"…"}; this is the only part of the body that matters.
    private static ReadOnlySpan<byte> AcceptedMarker => "\"accepted\""u8;

    private const int KeptBodyBytes = 4096;
    private readonly HttpClient _client;
    private readonly WebhookTarget _target;

    public WebhookSender(WebhookTarget target, int connections, TimeSpan timeout)
    {
        _target = target;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
        };
        _client = new HttpClient(handler) { Timeout = timeout };
        var headers = _client.DefaultRequestHeaders;
        headers.TryAddWithoutValidation("User-Agent", "GitLab/18.0.0");
        headers.TryAddWithoutValidation("X-Gitlab-Event", target.Event);
        headers.TryAddWithoutValidation("X-Gitlab-Token", target.Secret);
        headers.TryAddWithoutValidation("X-Gitlab-Instance", "https://gitlab.example.com");
    }

    public Uri Url => _target.Url;

    /// <summary>Sends one delivery with fresh UUIDs (so none is a duplicate) and reads the whole answer.</summary>
    public async Task<Outcome> SendAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _target.Url)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(_target.Payload),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        // GitLab: Idempotency-Key is per event (same on retries), the webhook UUID per request,
        // the event UUID per triggering request; a load of distinct events gets fresh ones each.
        request.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString());
        request.Headers.TryAddWithoutValidation("X-Gitlab-Event-UUID", Guid.NewGuid().ToString());
        request.Headers.TryAddWithoutValidation("X-Gitlab-Webhook-UUID", Guid.NewGuid().ToString());

        var buffer = ArrayPool<byte>.Shared.Rent(KeptBodyBytes * 2);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            // Keep the first bytes of the body; anything past them is read (the latency includes it) and dropped.
            var kept = 0;
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(kept, buffer.Length - kept))) > 0)
            {
                kept = Math.Min(kept + read, KeptBodyBytes);
            }
            var status = (int)response.StatusCode;
            var accepted = status is >= 200 and < 300 && buffer.AsSpan(0, kept).IndexOf(AcceptedMarker) >= 0;
            return new Outcome(status, accepted, null);
        }
        catch (Exception e)
        {
            return new Outcome(0, false, $"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => _client.Dispose();
}
