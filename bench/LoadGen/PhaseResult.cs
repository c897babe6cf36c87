using System.Text.Json.Serialization;

namespace LoadGen;

/// <summary>Latency percentiles in milliseconds over <see cref="Count"/> answered requests.</summary>
internal sealed record LatencySummary(double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs, double MeanMs, long Count);

/// <summary>
/// One load phase against one server. The measured figures cover the measurement window only; the
/// <c>…Total</c> figures include the warm-up, because every accepted delivery is a row in the bot's store.
/// </summary>
internal sealed record PhaseResult(
    string Server,
    string Mode,
    int Connections,
    double TargetRate,
    double WarmupSeconds,
    double DurationSeconds,
    double ElapsedSeconds,
    long Sent,
    long Responses,
    long Responses2xx,
    long Accepted,
    long Errors,
    double ResponsesPerSecond,
    double Responses2xxPerSecond,
    SortedDictionary<string, long> Statuses,
    LatencySummary Latency,
    LatencySummary? Service,
    LatencySummary? SendLag,
    long SentTotal,
    long Responses2xxTotal,
    long AcceptedTotal,
    long ErrorsTotal,
    string? FirstError)
{
    /// <summary>Whether the open-loop scheduler thread got its raised priority (see <see cref="Native"/>).</summary>
    public bool SchedulerPrioritized { get; init; }

    /// <summary>
    /// Requests (warm-up included) sent but never answered: errors, timeouts, and the requests wrk abandons in
    /// flight when its time is up. The server may have committed any of them.
    /// </summary>
    public long UnansweredTotal { get; init; }

    /// <summary>What generated the load: <c>httpclient</c> (LoadGen itself) or <c>wrk</c>.</summary>
    public string Engine { get; init; } = "httpclient";

    public static PhaseResult Create(
        string server, string mode, int connections, double targetRate, TimeSpan warmup, TimeSpan duration, double elapsedSeconds,
        Tally measured, Tally all, LatencySummary latency, LatencySummary? service, LatencySummary? sendLag)
    {
        var seconds = Math.Max(elapsedSeconds, 1e-9);
        return new PhaseResult(
            server, mode, connections, targetRate, warmup.TotalSeconds, duration.TotalSeconds, elapsedSeconds,
            measured.Sent, measured.Responses, measured.Responses2xx, measured.Accepted, measured.Errors,
            measured.Responses / seconds, measured.Responses2xx / seconds,
            measured.Statuses(), latency, service, sendLag,
            all.Sent, all.Responses2xx, all.Accepted, all.Errors, all.FirstError ?? measured.FirstError)
        {
            UnansweredTotal = all.Errors,
        };
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PhaseResult))]
internal sealed partial class ResultJsonContext : JsonSerializerContext;
