using GitLabMrBot.Configuration;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;
using GitLabMrBot.Storage.Sqlite;
using Npgsql;

namespace GitLabMrBot.Storage.Postgres;

/// <summary>
/// The shared plumbing of the bot's small PostgreSQL stores (the state beside the inbox): their own connection pool,
/// their tables created on first use in the connection's first search-path schema, and server failures reported as
/// <see cref="InboxUnavailableException"/>, as the SQLite stores do. Creating on first use, not on construction, lets
/// an instance start while its database is down and recover when it answers.
/// </summary>
internal sealed class PostgresTables : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly int _lockKey;
    private readonly string _createSql;
    private readonly string _what;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _created;

    /// <param name="connectionString">The bot's <see cref="BotSettings.Database"/>.</param>
    /// <param name="lockKey">First key of the advisory lock creating the tables: one per store, so stores never wait on each other.</param>
    /// <param name="createSql">Idempotent DDL (<c>CREATE TABLE IF NOT EXISTS</c>) for unqualified table names.</param>
    /// <param name="what">Names the store in error messages.</param>
    public PostgresTables(string connectionString, int lockKey, string createSql, string what)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        try
        {
            _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString));
        }
        catch (ArgumentException e)
        {
            // The message names the bad keyword, never a value: the string may hold a password.
            throw new InboxUnavailableException($"{BotSettings.DatabaseKey} is not a valid PostgreSQL connection string: {e.Message}", e);
        }
        _lockKey = lockKey;
        _createSql = createSql;
        _what = what;
    }

    /// <summary>Runs <paramref name="work"/> on an open connection once the tables exist; server failures become unavailable.</summary>
    public async Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await EnsureCreatedAsync(cancellationToken);
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            return await work(connection);
        }
        catch (Exception e) when (e is NpgsqlException or ObjectDisposedException
                                  || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new InboxUnavailableException($"The {_what} is unavailable: {e.Message}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        _gate.Dispose();
    }

    private async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _created) == 1)
        {
            return;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_created == 1)
            {
                return;
            }
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // CREATE TABLE IF NOT EXISTS is not safe against itself: two instances starting together can both try to
            // create the table and one fails. The lock (per schema) makes the second see the first one's table.
            await using (var create = new NpgsqlCommand(
                "SELECT pg_advisory_xact_lock(@key, hashtext(COALESCE(current_schema(), '')));\n" + _createSql, connection, transaction))
            {
                create.Parameters.AddWithValue("key", _lockKey);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            Volatile.Write(ref _created, 1);
        }
        finally
        {
            _gate.Release();
        }
    }
}
