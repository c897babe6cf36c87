using System.Diagnostics;

namespace LoadGen;

/// <summary>
/// Maximum throughput: each of N workers sends its next request as soon as the previous one answered,
/// so the server sets the pace. Requests started during the warm-up are sent (and committed by the bot)
/// but not measured; the totals still count them so rows can be checked against every acceptance.
/// </summary>
internal static class ClosedLoop
{
    public static async Task<PhaseResult> RunAsync(WebhookSender sender, string label, int connections, TimeSpan warmup, TimeSpan duration)
    {
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + Latency.Ticks(warmup);
        var stopAt = measureFrom + Latency.Ticks(duration);

        var workers = new Task<Worker>[connections];
        for (var i = 0; i < connections; i++)
        {
            workers[i] = Task.Run(() => RunWorkerAsync(sender, measureFrom, stopAt));
        }
        var done = await Task.WhenAll(workers);

        var measured = new Tally();
        var all = new Tally();
        var latencies = new List<long>(done.Sum(w => w.Latencies.Count));
        var lastCompletion = stopAt;
        foreach (var worker in done)
        {
            measured.Merge(worker.Measured);
            all.Merge(worker.All);
            latencies.AddRange(worker.Latencies);
            lastCompletion = Math.Max(lastCompletion, worker.LastCompletion);
        }

        // The window runs until the last measured request answered, so a slow tail is not hidden.
        var elapsed = (lastCompletion - measureFrom) / (double)Stopwatch.Frequency;
        return PhaseResult.Create(label, "max", connections, targetRate: 0, warmup, duration, elapsed,
            measured, all, Latency.Summarize(latencies), service: null, sendLag: null);
    }

    private static async Task<Worker> RunWorkerAsync(WebhookSender sender, long measureFrom, long stopAt)
    {
        var worker = new Worker();
        while (true)
        {
            var sentAt = Stopwatch.GetTimestamp();
            if (sentAt >= stopAt)
            {
                return worker;
            }
            var outcome = await sender.SendAsync();
            var answeredAt = Stopwatch.GetTimestamp();
            worker.All.Add(outcome);
            if (sentAt >= measureFrom)
            {
                worker.Measured.Add(outcome);
                if (outcome.Error is null)
                {
                    worker.Latencies.Add(answeredAt - sentAt);
                }
                worker.LastCompletion = answeredAt;
            }
        }
    }

    private sealed class Worker
    {
        public Tally Measured { get; } = new();
        public Tally All { get; } = new();
        public List<long> Latencies { get; } = new(64 * 1024);
        public long LastCompletion { get; set; }
    }
}
