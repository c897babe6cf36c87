using System.Net;
using System.Net.Sockets;
using GitLabMrBot.Configuration;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;
using GitLabMrBot.Storage.Postgres;
using Npgsql;

namespace GitLabMrBot.FunctionalTests.Storage;

/// <summary>The PostgreSQL provider against the state store contract, each test in its own fresh schema.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresBotStateStoreTests(PostgresServer server) : BotStateStoreContract
{
    private readonly PostgresTestSchema _schema = new(server);

    private string ConnectionString => _schema.ConnectionString;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await _schema.CreateAsync();
    }

    public override async Task DisposeAsync()
    {
        // Stores first: their connections must be closed before their schema goes.
        await base.DisposeAsync();
        await _schema.DropAsync();
    }

    protected override IBotStateStore OpenStore() => new PostgresBotStateStore(ConnectionString, TimeProvider.System);

    protected override IInboxStore OpenInbox() => new PostgresInboxStore(ConnectionString, TimeProvider.System);

    [Fact]
    public async Task First_use_creates_the_table_in_the_connections_schema()
    {
        await using var store = new PostgresBotStateStore(ConnectionString, TimeProvider.System);

        await store.SetAsync("k", "v", CancellationToken.None);

        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT n.nspname::text FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE c.oid = 'mrbot_bot_state'::regclass", connection);
        Assert.Equal(new NpgsqlConnectionStringBuilder(ConnectionString).SearchPath, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Stores_starting_together_on_an_empty_schema_all_work()
    {
        var stores = Enumerable.Range(0, 6).Select(_ => new PostgresBotStateStore(ConnectionString, TimeProvider.System)).ToList();
        try
        {
            await Task.WhenAll(stores.Select((store, i) => Task.Run(() => store.SetAsync($"k{i}", $"v{i}", CancellationToken.None))));

            for (var i = 0; i < stores.Count; i++)
            {
                Assert.Equal($"v{i}", await stores[0].GetAsync($"k{i}", CancellationToken.None));
            }
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task An_unreachable_server_answers_unavailable()
    {
        await using var store = new PostgresBotStateStore($"Host=127.0.0.1;Port={ClosedPort()};Username=postgres;Timeout=5", TimeProvider.System);

        var error = await Assert.ThrowsAsync<InboxUnavailableException>(() => store.GetAsync("k", CancellationToken.None));

        Assert.NotNull(error.InnerException);
        await Assert.ThrowsAsync<InboxUnavailableException>(() => store.IncrementAsync("k", 1, CancellationToken.None));
    }

    [Fact]
    public void A_malformed_connection_string_is_refused_without_echoing_its_values()
    {
        var error = Assert.Throws<InboxUnavailableException>(() => new PostgresBotStateStore("Host=db;Pasword=hunter2-secret", TimeProvider.System));

        Assert.Contains(BotSettings.DatabaseKey, error.Message);
        Assert.DoesNotContain("hunter2", error.Message);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
