using System.Globalization;
using CrashBench;
using Npgsql;

// Usage: CrashBench --bot <GitLabMrBot.dll> [--deliveries 1000] [--mrs 100] [--kills 5] [--seed 42] [--postgres <connection string>] [--verbose]
// Runs on SQLite (one instance, killed and restarted), then, with --postgres, on PostgreSQL (three instances, one of
// the two processing-only ones killed per round, the survivors take over). Prints one line per run; exit code 1 when a
// delivery was lost, a note duplicated or a delivery dead-lettered.
string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

var bot = Path.GetFullPath(Get("--bot") ?? throw new ArgumentException("--bot <GitLabMrBot.dll> is required"));
var deliveries = Int("--deliveries", 1000);
var mrs = Int("--mrs", 100);
var kills = Int("--kills", 5);
var seed = Int("--seed", 42);
var verbose = args.Contains("--verbose");
// One line per kill always; with --verbose also the bots' own output.
void Log(string line)
{
    if (verbose || !line.StartsWith("[bot ", StringComparison.Ordinal))
    {
        Console.WriteLine(line);
    }
}
var postgres = Get("--postgres");
var settings = new Dictionary<string, string> { ["Rechecks__MaxAttempts"] = "0" };

Console.WriteLine($"bench/crash: seed {seed}, {deliveries} deliveries over {mrs} MRs, {kills} SIGKILLs per store");
var results = new List<CrashResult>();
var work = Directory.CreateTempSubdirectory("mrbot-crash-");
try
{
    results.Add(await CrashRun.RunAsync(new CrashSettings(bot, deliveries, mrs, kills, seed, Path.Combine(work.FullName, "sqlite"),
        BotSettings: settings, Log: Log)));
    Console.WriteLine(results[^1].Summary);
    if (postgres is not null)
    {
        // A fresh schema of its own, dropped afterwards.
        var schema = "mrbot_crash_" + Guid.NewGuid().ToString("N")[..8];
        await Execute(postgres, $"CREATE SCHEMA {schema}");
        try
        {
            var connection = new NpgsqlConnectionStringBuilder(postgres) { SearchPath = schema }.ConnectionString;
            results.Add(await CrashRun.RunAsync(new CrashSettings(bot, deliveries, mrs, kills, seed, Path.Combine(work.FullName, "postgres"),
                Postgres: connection, BotSettings: settings, Log: Log)));
            Console.WriteLine(results[^1].Summary);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await Execute(postgres, $"DROP SCHEMA IF EXISTS {schema} CASCADE");
        }
    }
}
finally
{
    work.Delete(recursive: true);
}
return results.All(r => r.Lost == 0 && r.DuplicateNotes == 0 && r.DeadLetters == 0) ? 0 : 1;

static async Task Execute(string connectionString, string sql)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(sql, connection);
    await command.ExecuteNonQueryAsync();
}
