using System.Diagnostics;

namespace LoadGen;

/// <summary>
/// Steady rate without coordinated omission: request i is due at start + i/rate whatever happened to
/// earlier ones, and its latency counts from that due time, so a stall of the server shows up as the
/// latency of every request that should have gone out during it (as wrk2 does). Also reported: the
/// service time (from the actual send) and the send lag (how late the generator itself fired), so a
/// late generator can be told apart from a slow server.
/// </summary>
internal static class OpenLoop
{
    public static async Task<PhaseResult> RunAsync(WebhookSender sender, string label, double rate, int connections, TimeSpan warmup, TimeSpan duration)
    {
        var warmupCount = (int)Math.Round(rate * warmup.TotalSeconds);
        var total = warmupCount + (int)Math.Round(rate * duration.TotalSeconds);
        var ticksPerRequest = Stopwatch.Frequency / rate;
        var outcomes = new Outcome[total];
        var scheduledAt = new long[total];
        var sentAt = new long[total];
        var answeredAt = new long[total];
        var inFlight = new Task[total];

        var start = Stopwatch.GetTimestamp();
        var prioritized = false;
        // A dedicated thread keeps the schedule even when every pool thread is busy with responses.
        await Task.Factory.StartNew(() =>
        {
            prioritized = Native.RaiseCurrentThreadPriority();
            for (var i = 0; i < total; i++)
            {
                var due = start + (long)(i * ticksPerRequest);
                SleepUntil(due);
                scheduledAt[i] = due;
                inFlight[i] = SendAsync(sender, i, sentAt, answeredAt, outcomes);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.WhenAll(inFlight);

        var measured = new Tally();
        var all = new Tally();
        var latency = new List<long>(total - warmupCount);
        var service = new List<long>(total - warmupCount);
        var lag = new List<long>(total - warmupCount);
        var measureFrom = start + (long)(warmupCount * ticksPerRequest);
        var lastCompletion = measureFrom;
        for (var i = 0; i < total; i++)
        {
            all.Add(outcomes[i]);
            if (i < warmupCount)
            {
                continue;
            }
            measured.Add(outcomes[i]);
            lag.Add(sentAt[i] - scheduledAt[i]);
            if (outcomes[i].Error is null)
            {
                latency.Add(answeredAt[i] - scheduledAt[i]);
                service.Add(answeredAt[i] - sentAt[i]);
            }
            lastCompletion = Math.Max(lastCompletion, answeredAt[i]);
        }

        var elapsed = (lastCompletion - measureFrom) / (double)Stopwatch.Frequency;
        return PhaseResult.Create(label, "rate", connections, rate, warmup, duration, elapsed,
            measured, all, Latency.Summarize(latency), Latency.Summarize(service), Latency.Summarize(lag)) with
        {
            SchedulerPrioritized = prioritized,
        };
    }

    private static async Task SendAsync(WebhookSender sender, int i, long[] sentAt, long[] answeredAt, Outcome[] outcomes)
    {
        sentAt[i] = Stopwatch.GetTimestamp();
        outcomes[i] = await sender.SendAsync();
        answeredAt[i] = Stopwatch.GetTimestamp();
    }

    // Sleeps rather than spins: the generator shares 2 cores with the server, and a spinning thread
    // would steal the CPU it is measuring. The send lag reports how late each wake-up was.
    private static void SleepUntil(long due)
    {
        while (true)
        {
            var remaining = due - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return;
            }
            Native.Sleep(remaining * 1_000_000 / Stopwatch.Frequency);
        }
    }
}
