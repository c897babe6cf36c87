using GitLabMrBot.Configuration;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;
using GitLabMrBot.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace GitLabMrBot.FunctionalTests.Storage;

/// <summary>One PostgreSQL database object per bot: the stores are views on a <see cref="PostgresDatabase"/> (one pool, one schema).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresDatabaseTests(PostgresServer server) : IAsyncLifetime
{
    private readonly PostgresTestSchema _schema = new(server);

    private string ConnectionString => _schema.ConnectionString;

    public Task InitializeAsync() => _schema.CreateAsync();

    public Task DisposeAsync() => _schema.DropAsync();

    [Fact]
    public async Task AddStorage_makes_every_store_a_view_on_one_database()
    {
        // Disposed before the schema is dropped: the container closes the database's pool.
        await using var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(Settings(ConnectionString))
            .AddStorage()
            .BuildServiceProvider();

        var database = services.GetRequiredService<PostgresDatabase>();

        Assert.Same(database, Assert.IsType<PostgresInboxStore>(services.GetRequiredService<IInboxStore>()).Database);
        Assert.Same(database, Assert.IsType<PostgresBotStateStore>(services.GetRequiredService<IBotStateStore>()).Database);
        Assert.Same(database, Assert.IsType<PostgresSweepState>(services.GetRequiredService<ISweepState>()).Database);
    }

    [Fact]
    public async Task The_first_use_of_any_store_creates_every_stores_tables_at_the_current_version()
    {
        await using var database = new PostgresDatabase(ConnectionString);
        var state = new PostgresBotStateStore(database, TimeProvider.System);

        await state.SetAsync("k", "v", CancellationToken.None);

        Assert.Equal(PostgresDatabase.SchemaVersion, await ScalarAsync("SELECT version FROM mrbot_schema"));
        foreach (var table in new[] { "mrbot_deliveries", "mrbot_subjects", "mrbot_bot_state", "mrbot_sweep_projects", "mrbot_sweep_state" })
        {
            Assert.Equal(table, await ScalarAsync($"SELECT to_regclass('{table}')::text"));
        }
        var sweep = new PostgresSweepState(database);
        await sweep.RememberProjectsAsync([7], CancellationToken.None);
        Assert.Equal([7L], await sweep.KnownProjectsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Disposing_a_view_leaves_the_shared_database_open()
    {
        await using var database = new PostgresDatabase(ConnectionString);
        await using (var inbox = new PostgresInboxStore(database, TimeProvider.System))
        {
            Assert.True(await inbox.PingAsync(CancellationToken.None));
        }

        var state = new PostgresBotStateStore(database, TimeProvider.System);
        Assert.Equal(1, await state.IncrementAsync("n", 1, CancellationToken.None));
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
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
