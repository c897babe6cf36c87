using System.Diagnostics;

namespace LoadGen;

/// <summary>Percentiles of a set of durations in <see cref="Stopwatch"/> ticks, reported in milliseconds.</summary>
internal static class Latency
{
    public static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static LatencySummary Summarize(List<long> ticks)
    {
        if (ticks.Count == 0)
        {
            return new LatencySummary(0, 0, 0, 0, 0, 0, 0);
        }
        ticks.Sort();
        var sum = 0.0;
        foreach (var t in ticks)
        {
            sum += t;
        }
        return new LatencySummary(
            Count: ticks.Count,
            MeanMs: Milliseconds((long)(sum / ticks.Count)),
            P50Ms: Milliseconds(Rank(ticks, 0.50)),
            P90Ms: Milliseconds(Rank(ticks, 0.90)),
            P99Ms: Milliseconds(Rank(ticks, 0.99)),
            P999Ms: Milliseconds(Rank(ticks, 0.999)),
            MaxMs: Milliseconds(ticks[^1]));
    }

    // Nearest rank: the smallest value with at least p of all values at or below it.
    private static long Rank(List<long> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
