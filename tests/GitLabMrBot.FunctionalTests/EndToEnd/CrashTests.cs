using CrashBench;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Storage;
using Xunit.Abstractions;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>
/// The short crash script (bench/crash runs the long one): the built bot as child processes, SIGKILLed while it holds
/// claims, against the test GitLab. Nothing accepted is lost, no note is posted twice, and the MRs converge soon.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    internal static string BotDll => Path.Combine(AppContext.BaseDirectory, "GitLabMrBot.dll");

    internal static readonly Dictionary<string, string> Settings = new() { ["Rechecks__MaxAttempts"] = "0" };

    [Fact]
    public async Task Defect7_SIGKILLs_on_SQLite_lose_nothing_and_the_restarted_bot_converges_within_10_s()
    {
        var result = await CrashRun.RunAsync(new CrashSettings(BotDll, Deliveries: 60, MergeRequests: 10, Kills: 2, Seed: 12,
            WorkDirectory: _directory.File("sqlite"), BotSettings: Settings, Log: output.WriteLine));
        output.WriteLine(result.Summary);

        Assert.Equal(0, result.Lost);
        Assert.Equal(0, result.DuplicateNotes);
        Assert.Equal(0, result.DeadLetters);
        Assert.Equal(2, result.Recoveries.Count);
        Assert.True(result.KillsDuringClaims > 0, "no kill hit the bot while it held claims: " + result.Summary);
        // From the restarted process answering /healthz (its start-up time depends on the machine's load, not on the bot's
        // recovery) until every MR shows its last title's outcome: the SQLite target is 10 s.
        Assert.All(result.Recoveries.Zip(result.Restarts), r => Assert.True(r.First - r.Second < TimeSpan.FromSeconds(10), result.Summary));
    }
}

/// <summary>The short crash script on PostgreSQL: three instances, one killed; the survivors take over.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresCrashTests(PostgresServer server, ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private readonly PostgresTestSchema _schema = new(server);
    private readonly TempDirectory _directory = new();

    public Task InitializeAsync() => _schema.CreateAsync();

    public Task DisposeAsync() => _schema.DropAsync();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Defect7_a_SIGKILLed_instance_loses_nothing_and_the_survivors_take_over_its_MRs_within_20_s()
    {
        var result = await CrashRun.RunAsync(new CrashSettings(CrashTests.BotDll, Deliveries: 60, MergeRequests: 10, Kills: 1, Seed: 12,
            WorkDirectory: _directory.File("postgres"), Postgres: _schema.ConnectionString, BotSettings: CrashTests.Settings, Log: output.WriteLine));
        output.WriteLine(result.Summary);

        Assert.Equal(0, result.Lost);
        Assert.Equal(0, result.DuplicateNotes);
        Assert.Equal(0, result.DeadLetters);
        Assert.Equal(3, result.Instances);
        Assert.True(result.KillsDuringClaims > 0, "the kill did not hit an instance holding claims: " + result.Summary);
        Assert.All(result.Recoveries, r => Assert.True(r < TimeSpan.FromSeconds(20), result.Summary));
    }
}
