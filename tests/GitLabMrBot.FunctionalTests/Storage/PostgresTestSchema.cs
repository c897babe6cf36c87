namespace GitLabMrBot.FunctionalTests.Storage;

/// <summary>
/// One test's own fresh schema on the shared test server: created before the test, dropped after it (once the
/// test's stores are closed, since their connections must go before their schema does).
/// </summary>
internal sealed class PostgresTestSchema(PostgresServer server)
{
    private string? _connectionString;

    public string ConnectionString => _connectionString ?? throw new InvalidOperationException("The schema is not created yet.");

    public async Task CreateAsync() => _connectionString = await server.CreateSchemaAsync();

    public async Task DropAsync()
    {
        if (_connectionString is not null)
        {
            await server.DropSchemaAsync(_connectionString);
        }
    }
}
