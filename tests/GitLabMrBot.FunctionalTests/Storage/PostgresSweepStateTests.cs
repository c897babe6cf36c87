using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;
using GitLabMrBot.Storage.Postgres;

namespace GitLabMrBot.FunctionalTests.Storage;

/// <summary>The PostgreSQL provider against the sweep state contract, each test in its own fresh schema.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSweepStateTests(PostgresServer server) : SweepStateContract
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

    protected override ISweepState OpenState() => new PostgresSweepState(ConnectionString);

    protected override IInboxStore OpenInbox() => new PostgresInboxStore(ConnectionString, TimeProvider.System);

    [Fact]
    public async Task Schemas_sharing_a_database_keep_separate_sweep_states()
    {
        var other = await server.CreateSchemaAsync();
        try
        {
            await using var elsewhere = new PostgresSweepState(other);
            await using var here = new PostgresSweepState(ConnectionString);

            await here.RememberProjectsAsync([1], CancellationToken.None);
            await elsewhere.RememberProjectsAsync([2], CancellationToken.None);

            Assert.Equal([1L], await here.KnownProjectsAsync(CancellationToken.None));
            Assert.Equal([2L], await elsewhere.KnownProjectsAsync(CancellationToken.None));
        }
        finally
        {
            await server.DropSchemaAsync(other);
        }
    }
}
