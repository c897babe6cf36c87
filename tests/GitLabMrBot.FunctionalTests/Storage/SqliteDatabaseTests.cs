using GitLabMrBot.Configuration;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;
using GitLabMrBot.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace GitLabMrBot.FunctionalTests.Storage;

/// <summary>One SQLite file, one owner: the stores are views on a <see cref="SqliteDatabase"/>, whose one writer does every write.</summary>
public sealed class SqliteDatabaseTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string DatabasePath => _directory.File("mrbot.db");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task AddStorage_makes_every_store_a_view_on_one_database()
    {
        await using var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(Settings(DatabasePath))
            .AddStorage()
            .BuildServiceProvider();

        var database = services.GetRequiredService<SqliteDatabase>();

        Assert.Same(database, Assert.IsType<SqliteInboxStore>(services.GetRequiredService<IInboxStore>()).Database);
        Assert.Same(database, Assert.IsType<SqliteBotStateStore>(services.GetRequiredService<IBotStateStore>()).Database);
        Assert.Same(database, Assert.IsType<SqliteSweepState>(services.GetRequiredService<ISweepState>()).Database);
        Assert.Equal(DatabasePath, database.Path);
    }

    [Fact]
    public async Task State_and_sweep_writes_go_through_the_databases_writer()
    {
        var database = new SqliteDatabase(DatabasePath, TimeProvider.System);
        var state = new SqliteBotStateStore(database);
        var sweep = new SqliteSweepState(database);
        await state.SetAsync("k", "v", CancellationToken.None);
        await sweep.RememberProjectsAsync([1], CancellationToken.None);

        await database.DisposeAsync();

        // The writer has stopped: a store writing on a connection of its own would still succeed here.
        await Assert.ThrowsAsync<InboxUnavailableException>(() => state.SetAsync("k", "w", CancellationToken.None));
        await Assert.ThrowsAsync<InboxUnavailableException>(() => state.IncrementAsync("n", 1, CancellationToken.None));
        await Assert.ThrowsAsync<InboxUnavailableException>(() => sweep.RememberProjectsAsync([2], CancellationToken.None));
        await Assert.ThrowsAsync<InboxUnavailableException>(() => sweep.SetLastSweepAsync(DateTimeOffset.UnixEpoch, CancellationToken.None));
        // Reads use reader connections of their own, and see what was committed.
        Assert.Equal("v", await state.GetAsync("k", CancellationToken.None));
        Assert.Equal([1L], await sweep.KnownProjectsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Opening_creates_every_stores_tables_and_keeps_state_tables_an_older_build_created()
    {
        // Older builds' state stores created their own tables, possibly before the inbox created its own.
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText = """
                CREATE TABLE bot_state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO bot_state VALUES ('round-robin:1', '7', 0);
                CREATE TABLE sweep_projects (project_id INTEGER PRIMARY KEY);
                INSERT INTO sweep_projects VALUES (42);
                """;
            create.ExecuteNonQuery();
        }

        await using var database = new SqliteDatabase(DatabasePath, TimeProvider.System);
        var inbox = new SqliteInboxStore(database);
        var state = new SqliteBotStateStore(database);
        var sweep = new SqliteSweepState(database);

        Assert.Equal(8, await state.IncrementAsync("round-robin:1", 1, CancellationToken.None));
        Assert.Equal([42L], await sweep.KnownProjectsAsync(CancellationToken.None));
        Assert.Null(await sweep.LastSweepAsync(CancellationToken.None));
        Assert.False((await inbox.AppendAsync(
            new NewDelivery("key", "Push Hook", "mr:1:1", null, DateTimeOffset.UnixEpoch, "{}"u8.ToArray()), CancellationToken.None)).Duplicate);
    }

    [Fact]
    public async Task Disposing_a_view_leaves_the_shared_database_open()
    {
        await using var database = new SqliteDatabase(DatabasePath, TimeProvider.System);
        var inbox = new SqliteInboxStore(database);
        await using (var state = new SqliteBotStateStore(database))
        {
            await state.SetAsync("k", "v", CancellationToken.None);
        }

        Assert.True(await inbox.PingAsync(CancellationToken.None));
        Assert.False((await inbox.AppendAsync(
            new NewDelivery("key", "Push Hook", "mr:1:1", null, DateTimeOffset.UnixEpoch, "{}"u8.ToArray()), CancellationToken.None)).Duplicate);
    }

    private static BotSettings Settings(string database) => new()
    {
        GitLabUrl = new Uri("http://127.0.0.1:9"),
        GitLabToken = "token",
        WebhookSecrets = ["secret"],
        ConfigPath = "bot.config.json",
        Database = database,
    };
}
