using System.Diagnostics;
using System.Globalization;

namespace LoadGen;

/// <summary>
/// The max-throughput phase through wrk (C, epoll) with bench/ingest/webhook.lua: about a third of the CPU
/// per request that HttpClient needs. On 2 shared cores the generator's cost is taken from the server, and
/// the same cost added to both sides flatters the bot/bare ratio, so the leaner generator gives the honest
/// ratio. A warm-up run comes first; its answers count in the totals (the bot commits them too).
/// </summary>
internal static class WrkRunner
{
    public static async Task<PhaseResult> RunAsync(
        string label, Uri url, string payloadPath, string secret, string script, int connections, TimeSpan warmup, TimeSpan duration, TimeSpan timeout)
    {
        var warm = warmup > TimeSpan.Zero ? await RunOnceAsync(url, payloadPath, secret, script, connections, warmup, timeout) : null;
        var run = await RunOnceAsync(url, payloadPath, secret, script, connections, duration, timeout);

        var responses = run.Statuses.Values.Sum();
        var warmResponses = warm?.Statuses.Values.Sum() ?? 0;
        var ok = Sum2xx(run.Statuses);
        var seconds = Math.Max(run.DurationMicroseconds / 1e6, 1e-9);
        var latency = new LatencySummary(run.P50Us / 1000.0, run.P90Us / 1000.0, run.P99Us / 1000.0, run.P999Us / 1000.0, run.MaxUs / 1000.0, run.MeanUs / 1000.0, responses);
        var statuses = new SortedDictionary<string, long>(
            run.Statuses.ToDictionary(s => s.Key.ToString(CultureInfo.InvariantCulture), s => s.Value), StringComparer.Ordinal);
        return new PhaseResult(
            label, "max", connections, TargetRate: 0, warmup.TotalSeconds, duration.TotalSeconds, seconds,
            run.Sent, responses, ok, run.Accepted, run.Errors, responses / seconds, ok / seconds,
            statuses, latency, Service: null, SendLag: null,
            SentTotal: run.Sent + (warm?.Sent ?? 0),
            Responses2xxTotal: ok + (warm is null ? 0 : Sum2xx(warm.Statuses)),
            AcceptedTotal: run.Accepted + (warm?.Accepted ?? 0),
            ErrorsTotal: run.Errors + (warm?.Errors ?? 0),
            FirstError: run.Errors + (warm?.Errors ?? 0) > 0 ? "wrk counted socket errors or timeouts (connect/read/write/timeout)" : null)
        {
            Engine = "wrk",
            UnansweredTotal = run.Sent - responses + (warm is null ? 0 : warm.Sent - warmResponses),
        };
    }

    private static long Sum2xx(Dictionary<int, long> statuses) => statuses.Where(s => s.Key is >= 200 and < 300).Sum(s => s.Value);

    private static async Task<WrkRun> RunOnceAsync(Uri url, string payloadPath, string secret, string script, int connections, TimeSpan length, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("wrk")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // One wrk thread per core, never more threads than connections; wrk takes whole seconds.
        foreach (var argument in new[]
        {
            "-t", Math.Min(Environment.ProcessorCount, connections).ToString(CultureInfo.InvariantCulture),
            "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", $"{Math.Max(1, (int)Math.Ceiling(length.TotalSeconds))}s",
            "--timeout", $"{Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds))}s",
            "-s", script, url.ToString(), "--", payloadPath, secret, Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next())),
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout;
        if (process.ExitCode != 0 || !output.Contains("wrk.result", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"wrk failed (exit {process.ExitCode}): {await stderr}{output}");
        }
        return WrkRun.Parse(output);
    }

    private sealed record WrkRun(
        long Sent, long DurationMicroseconds, long Errors, long Accepted, Dictionary<int, long> Statuses,
        double P50Us, double P90Us, double P99Us, double P999Us, double MaxUs, double MeanUs)
    {
        // Reads the lines webhook.lua's done() prints: "wrk.result k=v …", "wrk.latency_us k=v …", "wrk.status 202=n".
        public static WrkRun Parse(string output)
        {
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            var statuses = new Dictionary<int, long>();
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length < 2 || !parts[0].StartsWith("wrk.", StringComparison.Ordinal))
                {
                    continue;
                }
                foreach (var pair in parts[1..])
                {
                    var (key, value) = (pair[..pair.IndexOf('=', StringComparison.Ordinal)], pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..]);
                    if (parts[0] == "wrk.status")
                    {
                        statuses[int.Parse(key, CultureInfo.InvariantCulture)] = long.Parse(value, CultureInfo.InvariantCulture);
                    }
                    else
                    {
                        values[$"{parts[0]}.{key}"] = double.Parse(value, CultureInfo.InvariantCulture);
                    }
                }
            }
            double V(string key) => values.TryGetValue(key, out var v) ? v : throw new InvalidOperationException($"wrk output lacks {key}:\n{output}");
            return new WrkRun(
                (long)V("wrk.result.sent"),
                (long)V("wrk.result.duration_us"),
                (long)(V("wrk.result.connect_errors") + V("wrk.result.read_errors") + V("wrk.result.write_errors") + V("wrk.result.timeouts")),
                (long)V("wrk.result.accepted"),
                statuses,
                V("wrk.latency_us.p50"), V("wrk.latency_us.p90"), V("wrk.latency_us.p99"), V("wrk.latency_us.p999"), V("wrk.latency_us.max"), V("wrk.latency_us.mean"));
        }
    }
}
