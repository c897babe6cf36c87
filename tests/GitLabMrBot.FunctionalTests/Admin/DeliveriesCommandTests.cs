using GitLabMrBot.Cli;
using GitLabMrBot.Configuration;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage.Sqlite;

namespace GitLabMrBot.FunctionalTests.Admin;

/// <summary>Issue 13 item 6 from the command line: <c>mrbot deliveries list|show|retry|drop</c> on the bot's store file.</summary>
public sealed class DeliveriesCommandTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string DatabasePath => _directory.File("mrbot.db");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Item6_deliveries_lists_dead_letters_shows_one_retries_it_once_and_drops_what_is_dead()
    {
        string dead;
        string waiting;
        await using (var store = new SqliteInboxStore(DatabasePath, TimeProvider.System))
        {
            dead = (await store.AppendAsync(new NewDelivery("k1", "Note Hook", "mr:5:6", null, DateTimeOffset.UtcNow, """{"object_kind":"note"}"""u8.ToArray()), CancellationToken.None)).DeliveryId;
            var batch = await store.ClaimNextAsync("test", TimeSpan.FromMinutes(5), CancellationToken.None);
            await store.FailAsync(batch!, "GitLab GET /projects/5 answered 404 NotFound", retryAt: null, CancellationToken.None);
            waiting = (await store.AppendAsync(new NewDelivery("k2", "Push Hook", "push:5", null, DateTimeOffset.UtcNow, "{}"u8.ToArray()), CancellationToken.None)).DeliveryId;
        }

        var list = await RunAsync("deliveries", "list");
        var all = await RunAsync("deliveries", "list", "--state", "all", "--json");
        var show = await RunAsync("deliveries", "show", dead);
        var showJson = await RunAsync("deliveries", "show", dead, "--json");
        var dropWaiting = await RunAsync("deliveries", "drop", waiting);
        var retry = await RunAsync("deliveries", "retry", dead);
        var retryAgain = await RunAsync("deliveries", "retry", dead);
        var dropPending = await RunAsync("deliveries", "drop", dead);
        var unknown = await RunAsync("deliveries", "show", "999");
        var badState = await RunAsync("deliveries", "list", "--state", "zombie");

        Assert.Equal(0, list.Exit);
        var line = Assert.Single(list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"{dead}  dead", line, StringComparison.Ordinal);
        Assert.Contains("Note Hook  mr:5:6  attempts 1  GitLab GET /projects/5 answered 404 NotFound", line, StringComparison.Ordinal);
        Assert.Equal(2, System.Text.Json.JsonDocument.Parse(all.Output).RootElement.GetArrayLength());
        Assert.Contains("payload   {\"object_kind\":\"note\"}", show.Output, StringComparison.Ordinal);
        Assert.Equal("dead", System.Text.Json.JsonDocument.Parse(showJson.Output).RootElement.GetProperty("state").GetString());
        Assert.Equal(CliExit.Failed, dropWaiting.Exit);
        Assert.Contains("is pending: only dead or done deliveries are dropped", dropWaiting.Output, StringComparison.Ordinal);
        Assert.Contains($"Delivery {dead} re-queued: pending, due now, attempts reset", retry.Output, StringComparison.Ordinal);
        Assert.Equal(0, retryAgain.Exit);
        Assert.Contains($"Delivery {dead} is pending, not dead: nothing changed.", retryAgain.Output, StringComparison.Ordinal);
        Assert.Equal(CliExit.Failed, dropPending.Exit);
        Assert.Equal(CliExit.Failed, unknown.Exit);
        Assert.Equal(CliExit.Usage, badState.Exit);
        Assert.Contains("No dead deliveries.", (await RunAsync("deliveries", "list")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item6_deliveries_does_not_create_a_store_that_is_not_there()
    {
        var run = await RunAsync("deliveries", "list");

        Assert.Equal(CliExit.Usage, run.Exit);
        Assert.Contains("No store at", run.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(DatabasePath));
    }

    private async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var settings = new Dictionary<string, string?> { [BotSettings.DatabaseKey] = DatabasePath };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CommandLine.RunAsync(args, output, error, name => settings.GetValueOrDefault(name));
        return (exit, output.ToString() + error);
    }
}
