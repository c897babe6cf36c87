using System.Globalization;
using System.Text.Json;

namespace LoadGen;

internal static class Cli
{
    public static int Usage()
    {
        Console.Error.WriteLine("""
            usage: loadgen VERB [options]
              max      --url URL --payload FILE --secret S [--connections 64] [--duration 10] [--warmup 2] [--label NAME] [--out FILE]
                       [--engine httpclient|wrk --wrk-script bench/ingest/webhook.lua]
                       closed loop: N connections each send the next request when the last answered
              rate     --url URL --payload FILE --secret S [--rate 1000] [--duration 10] [--warmup 2] [--connections 64] [--label NAME] [--out FILE]
                       open loop at a fixed rate; latency counts from each request's scheduled send time
              count    --db FILE [--table NAME]     rows in the inbox table of a SQLite file (prints the number)
              freeport                              prints a free TCP port on 127.0.0.1
              summary  --bare-max F --bare-rate F --bot-max F --bot-rate F [--bot-warm F] --rows N [--rows-note TEXT]
                       [--ratio-target 0.25] [--p99-target-ms 10]   prints the comparison and PASS/FAIL per target
            """);
        return 2;
    }

    public static async Task<int> RunAsync(string verb, Arguments arguments)
    {
        try
        {
            return verb switch
            {
                "max" => await RunLoadAsync(arguments, openLoop: false),
                "rate" => await RunLoadAsync(arguments, openLoop: true),
                "count" => InboxCounter.Run(arguments.Require("db"), arguments.Get("table")),
                "freeport" => FreePort(),
                "summary" => Summary.Run(arguments),
                _ => Usage(),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"loadgen: {e.Message}");
            return 2;
        }
    }

    private static async Task<int> RunLoadAsync(Arguments arguments, bool openLoop)
    {
        var target = new WebhookTarget(
            new Uri(arguments.Require("url")),
            await File.ReadAllBytesAsync(arguments.Require("payload")),
            arguments.Require("secret"),
            arguments.Get("event") ?? "Merge Request Hook");
        var connections = arguments.GetInt("connections", 64);
        var warmup = TimeSpan.FromSeconds(arguments.GetDouble("warmup", 2));
        var duration = TimeSpan.FromSeconds(arguments.GetDouble("duration", 10));
        var timeout = TimeSpan.FromSeconds(arguments.GetDouble("timeout", 30));
        var label = arguments.Get("label") ?? target.Url.Authority;
        if (connections < 1 || duration <= TimeSpan.Zero || warmup < TimeSpan.Zero)
        {
            throw new UsageException("--connections must be ≥ 1, --duration > 0, --warmup ≥ 0");
        }

        var engine = arguments.Get("engine") ?? "httpclient";
        if (engine is not ("httpclient" or "wrk") || (engine == "wrk" && openLoop))
        {
            throw new UsageException("--engine is httpclient or wrk (wrk only for max: it cannot keep a steady rate)");
        }

        using var sender = new WebhookSender(target, connections, timeout);
        PhaseResult result;
        if (engine == "wrk")
        {
            result = await WrkRunner.RunAsync(label, target.Url, arguments.Require("payload"), target.Secret,
                arguments.Require("wrk-script"), connections, warmup, duration, timeout);
        }
        else if (openLoop)
        {
            var rate = arguments.GetDouble("rate", 1000);
            if (rate <= 0)
            {
                throw new UsageException("--rate must be > 0");
            }
            result = await OpenLoop.RunAsync(sender, label, rate, connections, warmup, duration);
        }
        else
        {
            result = await ClosedLoop.RunAsync(sender, label, connections, warmup, duration);
        }

        Console.WriteLine(Report.Describe(result));
        var output = arguments.Get("out");
        if (output is not null)
        {
            await File.WriteAllTextAsync(output, JsonSerializer.Serialize(result, ResultJsonContext.Default.PhaseResult));
        }

        // No answer at all (refused, reset, timed out) means the run measured nothing: that is a broken run.
        // Any HTTP status, even 501, is a measurement and the summary judges it.
        if (result.SentTotal > 0 && result.ErrorsTotal == result.SentTotal)
        {
            Console.Error.WriteLine($"loadgen: no request got an answer ({result.FirstError})");
            return 1;
        }
        return 0;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        Console.WriteLine(((System.Net.IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture));
        return 0;
    }
}

internal sealed class UsageException(string message) : Exception(message);

/// <summary><c>--name value</c> pairs.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _values;

    private Arguments(Dictionary<string, string> values) => _values = values;

    public static Arguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new UsageException($"expected --name value, got '{args[i]}'");
            }
            values[args[i][2..]] = args[++i];
        }
        return new Arguments(values);
    }

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public string Require(string name) => Get(name) ?? throw new UsageException($"--{name} is required");

    public int GetInt(string name, int fallback) =>
        Get(name) is { } text
            ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw new UsageException($"--{name} must be an integer")
            : fallback;

    public double GetDouble(string name, double fallback) =>
        Get(name) is { } text
            ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : throw new UsageException($"--{name} must be a number")
            : fallback;
}
