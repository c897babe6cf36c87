using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Infrastructure;

namespace GitLabMrBot.FunctionalTests.Webhooks;

/// <summary>
/// Issue 12, item 1 (defects 1 and 2): idle connections are capped and closed, an unauthenticated body is never read,
/// and the bodies read at once stay under a budget. Raw sockets, so the tests see exactly what the server does and when.
/// </summary>
public sealed class IntakeLimitTests
{
    [Fact]
    public async Task Defect1_idle_connections_are_capped_and_closed_after_the_idle_timeout_while_healthz_answers()
    {
        const int cap = 20;
        const int idle = 60;
        await using var host = await BotHost.StartAsync(new Dictionary<string, string?>
        {
            ["Intake:MaxConnections"] = cap.ToString(CultureInfo.InvariantCulture),
            ["Intake:IdleTimeout"] = "00:00:04",
        });
        // One kept-alive connection, opened before the crowd: the operator's probe.
        using (var first = await host.Client.GetAsync("/healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var sockets = new List<(Socket Socket, Task Closed)>();
        try
        {
            for (var i = 0; i < idle; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(host.Address.Host, host.Address.Port);
                sockets.Add((socket, ClosedByServerAsync(socket)));
            }
            var opened = Stopwatch.StartNew();

            // The cap holds: every connection over it is closed at once (the probe's connection counts too).
            await Eventually.HoldsAsync(() => sockets.Count(s => s.Closed.IsCompleted) >= idle - (cap - 1),
                $"at least {idle - (cap - 1)} of {idle} idle connections closed at once (cap {cap})",
                TimeSpan.FromSeconds(3));
            using (var during = await host.Client.GetAsync("/healthz"))
            {
                Assert.Equal(HttpStatusCode.OK, during.StatusCode);
            }

            // The rest are closed after the idle timeout (Kestrel's default would hold them 130 s).
            await Eventually.HoldsAsync(() => sockets.All(s => s.Closed.IsCompleted),
                "every idle connection closed after the 4 s idle timeout",
                TimeSpan.FromSeconds(15));
            Assert.True(opened.Elapsed >= TimeSpan.FromSeconds(3), $"the held connections were closed after {opened.Elapsed}, before the idle timeout");

            using var after = await host.Client.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }
        finally
        {
            foreach (var (socket, _) in sockets)
            {
                socket.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("wrong token")]
    [InlineData("no token")]
    [InlineData("stale signature")]
    [InlineData("malformed signature")]
    public async Task Defect2_unauthenticated_big_body_is_answered_401_before_it_is_sent(string credentials)
    {
        await using var host = await BotHost.StartAsync();
        const long declared = 24L * 1024 * 1024;
        var headers = new StringBuilder()
            .Append("POST /webhooks/gitlab HTTP/1.1\r\n")
            .Append(CultureInfo.InvariantCulture, $"Host: {host.Address.Authority}\r\n")
            .Append("Content-Type: application/json\r\nX-Gitlab-Event: Merge Request Hook\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {declared}\r\n");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        headers.Append(credentials switch
        {
            "wrong token" => "X-Gitlab-Token: not-the-secret\r\n",
            "no token" => "",
            "stale signature" => $"webhook-id: msg_1\r\nwebhook-timestamp: {now - 3600}\r\nwebhook-signature: v1,{Convert.ToBase64String(new byte[32])}\r\n",
            _ => $"webhook-id: msg_1\r\nwebhook-timestamp: {now}\r\nwebhook-signature: v2,not-base64\r\n",
        });
        headers.Append("\r\n");

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(host.Address.Host, host.Address.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(headers.ToString()));
        // 64 KiB of the 24 MiB: a server that reads the body before the credentials waits for the rest forever.
        await socket.SendAsync(new byte[64 * 1024]);

        var answer = await ReadStatusLineAsync(socket, TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 401", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Defect2_bodies_over_the_in_flight_budget_are_answered_503_with_retry_after_and_accepted_again_later()
    {
        const int budget = 1024 * 1024;
        await using var host = await BotHost.StartAsync(new Dictionary<string, string?>
        {
            ["Inbox:MaxBodyBytes"] = budget.ToString(CultureInfo.InvariantCulture),
            ["Intake:MaxBodyBytesInFlight"] = budget.ToString(CultureInfo.InvariantCulture),
        });
        // A valid delivery padded with JSON whitespace to the whole budget, sent slowly: its bytes are held meanwhile.
        var payload = Payloads.MergeRequest(Payloads.UniqueProjectId(), 1);
        var big = payload.Concat(Enumerable.Repeat((byte)' ', budget - payload.Length)).ToArray();
        var head = Encoding.ASCII.GetBytes(
            "POST /webhooks/gitlab HTTP/1.1\r\n" +
            $"Host: {host.Address.Authority}\r\nContent-Type: application/json\r\nX-Gitlab-Event: Merge Request Hook\r\n" +
            $"X-Gitlab-Token: {BotHost.Secret}\r\nIdempotency-Key: {Guid.NewGuid()}\r\nContent-Length: {big.Length}\r\n\r\n");
        using var slow = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await slow.ConnectAsync(host.Address.Host, host.Address.Port);
        await slow.SendAsync(head);
        await slow.SendAsync(big.AsMemory(0, 1024));

        HttpResponseMessage? refused = null;
        await Eventually.HoldsAsync(async () =>
        {
            var response = await host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", Payloads.MergeRequest(Payloads.UniqueProjectId(), 1)));
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                refused = response;
                return true;
            }
            response.Dispose();
            return false;
        }, "a small delivery is refused 503 while a body holds the whole budget", TimeSpan.FromSeconds(10));
        using (refused)
        {
            Assert.NotNull(refused!.Headers.RetryAfter?.Delta);
        }

        await slow.SendAsync(big.AsMemory(1024));
        Assert.StartsWith("HTTP/1.1 202", await ReadStatusLineAsync(slow, TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
        using var later = await host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", Payloads.MergeRequest(Payloads.UniqueProjectId(), 1)));
        Assert.Equal(HttpStatusCode.Accepted, later.StatusCode);
    }

    private static async Task ClosedByServerAsync(Socket socket)
    {
        var buffer = new byte[256];
        try
        {
            while (await socket.ReceiveAsync(buffer) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // Reset by the server: closed as well.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static async Task<string> ReadStatusLineAsync(Socket socket, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var received = new List<byte>();
        var buffer = new byte[1024];
        try
        {
            while (!received.Contains((byte)'\n'))
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
                if (read == 0)
                {
                    return $"(connection closed after {received.Count} bytes)";
                }
                received.AddRange(buffer.AsSpan(0, read));
            }
        }
        catch (OperationCanceledException)
        {
            return $"(no answer within {timeout.TotalSeconds:0} s)";
        }
        return Encoding.ASCII.GetString([.. received]).Split('\n')[0].TrimEnd('\r');
    }
}
