using System.Globalization;
using System.Text.Json;

namespace LoadGen;

/// <summary>
/// The closing table of bench/ingest and one PASS/FAIL line per target of issue 2 item 9. A missed target
/// is a result, not an error: this exits 0 either way.
/// </summary>
internal static class Summary
{
    public static int Run(Arguments arguments)
    {
        var bareMax = Load(arguments.Require("bare-max"));
        var bareRate = Load(arguments.Require("bare-rate"));
        var botMax = Load(arguments.Require("bot-max"));
        var botRate = Load(arguments.Require("bot-rate"));
        // The JIT warm-up burst is not measured, but the bot committed what it accepted.
        var botWarm = arguments.Get("bot-warm") is { } warmPath ? Load(warmPath) : null;
        var rows = long.TryParse(arguments.Require("rows"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) ? r : -1;
        var rowsNote = arguments.Get("rows-note");
        var ratioTarget = arguments.GetDouble("ratio-target", 0.25);
        var p99Target = arguments.GetDouble("p99-target-ms", 10);

        // Only deliveries the bot actually took count as its throughput: a fast 4xx/5xx is not ingestion.
        var ratio = bareMax.ResponsesPerSecond > 0 ? botMax.Responses2xxPerSecond / bareMax.ResponsesPerSecond : 0;
        var accepted = botMax.AcceptedTotal + botRate.AcceptedTotal + (botWarm?.AcceptedTotal ?? 0);
        var bot2xx = botMax.Responses2xxTotal + botRate.Responses2xxTotal + (botWarm?.Responses2xxTotal ?? 0);
        var unanswered = botMax.UnansweredTotal + botRate.UnansweredTotal + (botWarm?.UnansweredTotal ?? 0);

        Console.WriteLine($"== bench/ingest: POST /webhooks/gitlab, bare ASP.NET Core endpoint vs GitLabMrBot ({Environment.ProcessorCount} cores) ==");
        Row("", "bare endpoint", "bot");
        Row($"max throughput ({botMax.Connections} conns, {botMax.Engine})", $"{Report.N(bareMax.ResponsesPerSecond)} req/s", $"{Report.N(botMax.ResponsesPerSecond)} req/s");
        Row("  of which 2xx", $"{Report.N(bareMax.Responses2xxPerSecond)} req/s", $"{Report.N(botMax.Responses2xxPerSecond)} req/s");
        Row("  p50 / p99 ms", $"{Report.Ms(bareMax.Latency.P50Ms)} / {Report.Ms(bareMax.Latency.P99Ms)}", $"{Report.Ms(botMax.Latency.P50Ms)} / {Report.Ms(botMax.Latency.P99Ms)}");
        Row("  statuses", Report.Statuses(bareMax), Report.Statuses(botMax));
        Row($"steady {Report.N(botRate.TargetRate)} req/s achieved", $"{Report.N(bareRate.ResponsesPerSecond, 1)} req/s", $"{Report.N(botRate.ResponsesPerSecond, 1)} req/s");
        Row("  p50 / p99 / max ms", $"{Report.Ms(bareRate.Latency.P50Ms)} / {Report.Ms(bareRate.Latency.P99Ms)} / {Report.Ms(bareRate.Latency.MaxMs)}",
            $"{Report.Ms(botRate.Latency.P50Ms)} / {Report.Ms(botRate.Latency.P99Ms)} / {Report.Ms(botRate.Latency.MaxMs)}");
        Row("  statuses", Report.Statuses(bareRate), Report.Statuses(botRate));
        Console.WriteLine($"ratio bot/bare throughput (bot 2xx req/s ÷ bare req/s): {Pct(ratio)}");
        Console.WriteLine($"bot answers over the whole run (all warm-ups included): 2xx {Report.N(bot2xx)}, \"accepted\" {Report.N(accepted)}, unanswered {Report.N(unanswered)}");
        Console.WriteLine($"rows committed in the bot's SQLite file: {(rows < 0 ? "unknown" : Report.N(rows))}{(rowsNote is null ? "" : $" ({rowsNote})")}");
        Console.WriteLine();

        Check(ratio >= ratioTarget,
            $"throughput ratio bot/bare {Pct(ratio)} {(ratio >= ratioTarget ? "≥" : "<")} {Pct(ratioTarget)}"
            + (botMax.Responses2xx == 0 ? $" (the bot answered no 2xx: {Report.Statuses(botMax)})" : ""));

        // A p99 only means something if the bot kept up with the rate and took every delivery.
        var steadyProblems = new List<string>();
        if (botRate.Responses2xx < botRate.Sent)
        {
            steadyProblems.Add($"not every answer was 2xx: {Report.Statuses(botRate)}");
        }
        if (botRate.ResponsesPerSecond < 0.95 * botRate.TargetRate)
        {
            steadyProblems.Add($"achieved only {Report.N(botRate.ResponsesPerSecond, 1)} of {Report.N(botRate.TargetRate)} req/s");
        }
        var p99 = botRate.Latency.P99Ms;
        Check(p99 <= p99Target && steadyProblems.Count == 0,
            $"steady-rate p99 of the bot {Report.Ms(p99)} ms {(p99 <= p99Target ? "≤" : ">")} {Report.N(p99Target, 0)} ms"
            + (steadyProblems.Count == 0 ? "" : $" ({string.Join("; ", steadyProblems)})"));

        // wrk stops with up to one request per connection in flight: the bot may commit those without the
        // generator ever reading the 202. Rows beyond "accepted" are fine up to that many, never more; fewer
        // rows than acceptances is a lost delivery.
        var explained = rows > accepted && rows <= accepted + unanswered;
        var rowsText = rows < 0 ? "unknown" : Report.N(rows);
        var rowsLine = explained
            ? $"rows committed {rowsText} == accepted {Report.N(accepted)} + {Report.N(rows - accepted)} committed whose answer the generator never read (wrk stops with requests in flight: {Report.N(unanswered)} unanswered)"
            : $"rows committed {rowsText} {(rows == accepted ? "==" : "!=")} accepted {Report.N(accepted)}";
        if (accepted == 0)
        {
            rowsLine += " (nothing was accepted)";
        }
        else if (rows >= 0 && rows < accepted)
        {
            rowsLine += $" ({Report.N(accepted - rows)} accepted deliveries are missing)";
        }
        else if (rows > accepted + unanswered)
        {
            rowsLine += $" ({Report.N(rows - accepted - unanswered)} more rows than requests sent)";
        }
        Check((rows == accepted || explained) && accepted > 0, rowsLine);
        return 0;
    }

    private static PhaseResult Load(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), ResultJsonContext.Default.PhaseResult)
        ?? throw new UsageException($"{path} holds no result");

    private static string Pct(double fraction) => fraction.ToString("0.0 %", CultureInfo.InvariantCulture);

    private static void Row(string name, string bare, string bot) => Console.WriteLine($"{name,-34}{bare,-26}{bot}");

    private static void Check(bool pass, string text) => Console.WriteLine($"{(pass ? "PASS" : "FAIL")}  {text}");
}
