using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace IntakeBench;

/// <summary>
/// Issue 12's two big hostile runs against the published bot: many TCP connections that send nothing, then concurrent
/// 24 MiB bodies with a wrong token (and with the right one, over the budget of bodies in flight). Prints what the bot
/// held and its peak RSS.
/// </summary>
internal static class Hostile
{
    private const string Secret = "hostile-bench-secret";

    public static async Task<int> RunAsync(string botDll, int idle, int bodies, int bodyMib, int heapLimitMb)
    {
        var config = Path.Combine(Path.GetTempPath(), $"mrbot-hostile-{Environment.ProcessId}.json");
        await File.WriteAllTextAsync(config, "{}");
        var environment = new Dictionary<string, string>
        {
            ["GITLAB_URL"] = "http://127.0.0.1:9",
            ["GITLAB_TOKEN"] = "glpat-hostile-bench",
            ["GITLAB_WEBHOOK_SECRET"] = Secret,
            ["MRBOT_CONFIG"] = config,
            ["Inbox__Concurrency"] = "0",
        };
        if (heapLimitMb > 0)
        {
            environment["DOTNET_GCHeapHardLimit"] = "0x" + ((long)heapLimitMb * 1024 * 1024).ToString("X", CultureInfo.InvariantCulture);
        }
        Console.WriteLine($"bot: Release, default intake settings, GC heap limit {(heapLimitMb > 0 ? heapLimitMb + " MiB" : "none")}; fd limit of this shell: {FdLimit()}");
        var ok = true;
        try
        {
            await using (var bot = await BotProcess.StartAsync(botDll, environment))
            {
                ok &= await IdleConnectionsAsync(bot, idle);
            }
            await using (var bot = await BotProcess.StartAsync(botDll, environment))
            {
                ok &= await BigBodiesAsync(bot, bodies, bodyMib, token: "wrong-token", "wrong token");
            }
            await using (var bot = await BotProcess.StartAsync(botDll, environment))
            {
                ok &= await BigBodiesAsync(bot, bodies, bodyMib, token: Secret, "right token (valid JSON padded)");
            }
        }
        finally
        {
            File.Delete(config);
        }
        Console.WriteLine(ok ? "PASS" : "FAIL");
        return ok ? 0 : 1;
    }

    private static async Task<bool> IdleConnectionsAsync(BotProcess bot, int count)
    {
        var baselineFiles = bot.OpenFiles();
        var rssBefore = bot.RssMb();
        // The operator's probe: one kept-alive connection opened before the crowd, asked every 500 ms.
        using var probeHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        { Timeout = TimeSpan.FromSeconds(5) };
        await bot.HealthyAsync(probeHttp);
        using var stop = new CancellationTokenSource();
        int probeOk = 0, probeFailed = 0;
        var probe = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (await bot.HealthyAsync(probeHttp)) { Interlocked.Increment(ref probeOk); } else { Interlocked.Increment(ref probeFailed); }
                await Task.Delay(500, CancellationToken.None);
            }
        });

        int connected = 0, refusedConnect = 0, closedByServer = 0, open = 0;
        int peakOpen = 0, peakBotFiles = 0;
        double peakRss = 0;
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && !bot.HasExited)
            {
                peakBotFiles = Math.Max(peakBotFiles, bot.OpenFiles() - baselineFiles);
                peakOpen = Math.Max(peakOpen, Volatile.Read(ref open));
                peakRss = Math.Max(peakRss, bot.RssMb());
                await Task.Delay(200, CancellationToken.None);
            }
        });

        var clock = Stopwatch.StartNew();
        var watchers = new ConcurrentBag<Task>();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (_, _) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.ConnectAsync(IPAddress.Loopback, bot.Port, timeout.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                Interlocked.Increment(ref refusedConnect);
                socket.Dispose();
                return;
            }
            Interlocked.Increment(ref connected);
            Interlocked.Increment(ref open);
            watchers.Add(WatchAsync(socket));
        });
        var openedIn = clock.Elapsed;

        async Task WatchAsync(Socket socket)
        {
            var buffer = new byte[64];
            try
            {
                while (await socket.ReceiveAsync(buffer) > 0)
                {
                }
            }
            catch (SocketException)
            {
            }
            Interlocked.Increment(ref closedByServer);
            Interlocked.Decrement(ref open);
            socket.Dispose();
        }

        // The idle timeout is 10 s by default: wait for it, and a little more.
        var settle = Stopwatch.StartNew();
        while (Volatile.Read(ref open) > 0 && settle.Elapsed < TimeSpan.FromSeconds(40) && !bot.HasExited)
        {
            await Task.Delay(250);
        }
        var allClosedAfter = clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(probe, sampler);
        var alive = !bot.HasExited && await bot.HealthyAsync(probeHttp);

        Console.WriteLine();
        Console.WriteLine($"idle connections: {count} attempted, {connected} connected, {refusedConnect} not connected, opened in {openedIn.TotalSeconds:F1} s");
        Console.WriteLine($"  held by the bot at once (peak): {peakOpen} sockets open on this side, {peakBotFiles} more file descriptors in the bot than at rest");
        Console.WriteLine($"  closed by the bot: {closedByServer}; all closed {allClosedAfter.TotalSeconds:F1} s after the first connect; still open: {Volatile.Read(ref open)}");
        Console.WriteLine($"  /healthz on the kept-alive probe every 500 ms: {probeOk} ok, {probeFailed} failed; alive after: {alive}");
        Console.WriteLine($"  RSS: {rssBefore:F0} MB before, {peakRss:F0} MB peak sampled, VmHWM {bot.PeakRssMb():F0} MB");
        return alive && probeFailed == 0 && Volatile.Read(ref open) == 0;
    }

    private static async Task<bool> BigBodiesAsync(BotProcess bot, int count, int mib, string token, string what)
    {
        var rssBefore = bot.RssMb();
        var payload = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "merge_request.json"));
        var body = new byte[mib * 1024 * 1024];
        payload.CopyTo(body, 0);
        body.AsSpan(payload.Length).Fill((byte)' ');
        var statuses = new ConcurrentDictionary<string, int>();
        double peakRss = 0;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && !bot.HasExited)
            {
                peakRss = Math.Max(peakRss, bot.RssMb());
                await Task.Delay(100, CancellationToken.None);
            }
        });
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = count }) { Timeout = TimeSpan.FromSeconds(120) };
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, bot.Url("/webhooks/gitlab")) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add("X-Gitlab-Event", "Merge Request Hook");
            request.Headers.Add("X-Gitlab-Token", token);
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            string outcome;
            try
            {
                using var response = await http.SendAsync(request);
                outcome = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
            }
            catch (HttpRequestException)
            {
                // The bot answered and closed the connection before this side finished sending the body.
                outcome = "connection closed while sending";
            }
            statuses.AddOrUpdate(outcome, 1, (_, n) => n + 1);
        }));
        var elapsed = clock.Elapsed;
        var after = Stopwatch.StartNew();
        while (after.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(500);
        }
        var rss10s = bot.RssMb();
        await stop.CancelAsync();
        await sampler;
        var alive = !bot.HasExited && await bot.HealthyAsync(http);
        var fivexx = statuses.Where(s => s.Key.StartsWith('5') && s.Key != "503").Sum(s => s.Value);

        Console.WriteLine();
        Console.WriteLine($"{count} concurrent {mib} MiB bodies, {what}: {elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"  answers: {string.Join(", ", statuses.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Value} x {s.Key}"))}");
        Console.WriteLine($"  RSS: {rssBefore:F0} MB before, {peakRss:F0} MB peak sampled, VmHWM {bot.PeakRssMb():F0} MB, {rss10s:F0} MB 10 s after; alive after: {alive}");
        return alive && fivexx == 0;
    }

    private static string FdLimit()
    {
        var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        return line is null ? "?" : string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(3).Take(1));
    }
}
