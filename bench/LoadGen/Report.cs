using System.Globalization;
using System.Text;

namespace LoadGen;

/// <summary>Human-readable text for one phase.</summary>
internal static class Report
{
    public static string N(double value, int decimals = 0) => value.ToString(decimals == 0 ? "N0" : "N" + decimals, CultureInfo.InvariantCulture);

    public static string Ms(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    public static string Percentiles(LatencySummary l) =>
        $"p50 {Ms(l.P50Ms)}  p90 {Ms(l.P90Ms)}  p99 {Ms(l.P99Ms)}  p99.9 {Ms(l.P999Ms)}  max {Ms(l.MaxMs)}";

    public static string Statuses(PhaseResult r)
    {
        var parts = r.Statuses.Select(s => $"{s.Key}×{N(s.Value)}").ToList();
        if (r.Errors > 0)
        {
            parts.Add($"no answer×{N(r.Errors)}");
        }
        return parts.Count == 0 ? "none" : string.Join(" ", parts);
    }

    public static string Describe(PhaseResult r)
    {
        var text = new StringBuilder();
        if (r.Mode == "max")
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"[{r.Server}] max throughput: {r.Connections} connections, {N(r.DurationSeconds, 1)} s after {N(r.WarmupSeconds, 1)} s warm-up ({r.Engine})");
            text.AppendLine(CultureInfo.InvariantCulture, $"  answered {N(r.Responses)} in {N(r.ElapsedSeconds, 2)} s: {N(r.ResponsesPerSecond)} req/s (2xx: {N(r.Responses2xxPerSecond)} req/s)");
            text.AppendLine(CultureInfo.InvariantCulture, $"  latency ms: {Percentiles(r.Latency)}");
        }
        else
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"[{r.Server}] steady rate: {N(r.TargetRate)} req/s, {N(r.DurationSeconds, 1)} s after {N(r.WarmupSeconds, 1)} s warm-up, open loop over ≤ {r.Connections} connections ({r.Engine})");
            text.AppendLine(CultureInfo.InvariantCulture, $"  answered {N(r.Responses)} of {N(r.Sent)} in {N(r.ElapsedSeconds, 2)} s: achieved {N(r.ResponsesPerSecond, 1)} req/s");
            text.AppendLine(CultureInfo.InvariantCulture, $"  latency from scheduled send, ms: {Percentiles(r.Latency)}");
            if (r.Service is not null)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  service time from actual send, ms: {Percentiles(r.Service)}");
            }
            if (r.SendLag is not null)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  generator send lag, ms: p50 {Ms(r.SendLag.P50Ms)}  p99 {Ms(r.SendLag.P99Ms)}  max {Ms(r.SendLag.MaxMs)}{(r.SchedulerPrioritized ? "" : " (scheduler priority not raised: not root)")}");
            }
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"  statuses: {Statuses(r)}");
        text.Append(CultureInfo.InvariantCulture, $"  whole phase incl. warm-up: sent {N(r.SentTotal)}, 2xx {N(r.Responses2xxTotal)}, \"accepted\" {N(r.AcceptedTotal)}, unanswered {N(r.UnansweredTotal)}");
        if (r.FirstError is not null)
        {
            text.AppendLine().Append(CultureInfo.InvariantCulture, $"  first error: {r.FirstError}");
        }
        return text.ToString();
    }
}
