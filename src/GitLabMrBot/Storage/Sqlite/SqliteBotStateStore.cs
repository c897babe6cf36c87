using System.Globalization;

namespace GitLabMrBot.Storage.Sqlite;

/// <summary>
/// <see cref="IBotStateStore"/> as one table (<c>bot_state</c>) of the bot's <see cref="SqliteDatabase"/>: reads on
/// reader connections, writes through the database's one writer (in its group commits, beside the inbox's writes).
/// </summary>
public sealed class SqliteBotStateStore : IBotStateStore, IAsyncDisposable, IDisposable
{
    private const string What = "bot state";

    private readonly SqliteDatabase _database;
    private readonly bool _ownsDatabase;

    /// <summary>A store with a database of its own on <paramref name="path"/> (tools and tests; the bot shares one, see <c>AddStorage</c>).</summary>
    public SqliteBotStateStore(string path, TimeProvider time)
        : this(new SqliteDatabase(path, time), ownsDatabase: true)
    {
    }

    /// <summary>The bot state of <paramref name="database"/>, which stays open when this is disposed.</summary>
    public SqliteBotStateStore(SqliteDatabase database)
        : this(database, ownsDatabase: false)
    {
    }

    private SqliteBotStateStore(SqliteDatabase database, bool ownsDatabase)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _ownsDatabase = ownsDatabase;
    }

    /// <summary>The database this store is a view on.</summary>
    internal SqliteDatabase Database => _database;

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_database.Read(What, connection =>
        {
            using var command = SqliteDatabase.Command(connection, null, "SELECT value FROM bot_state WHERE key = $key");
            command.Parameters.AddWithValue("$key", key);
            return command.ExecuteScalar() as string;
        }));
    }

    public Task SetAsync(string key, string value, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _database.WriteAsync(What, (connection, transaction, now) =>
        {
            using var command = SqliteDatabase.Command(connection, transaction, """
                INSERT INTO bot_state (key, value, updated_at) VALUES ($key, $value, $now)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """);
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$value", value);
            command.Parameters.AddWithValue("$now", now);
            return command.ExecuteNonQuery();
        });
    }

    public Task<long> IncrementAsync(string key, long delta, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _database.WriteAsync(What, (connection, transaction, now) =>
        {
            // One statement: concurrent increments (several workers, or several processes on the file) never lose a turn.
            using var command = SqliteDatabase.Command(connection, transaction, """
                INSERT INTO bot_state (key, value, updated_at) VALUES ($key, CAST($delta AS TEXT), $now)
                ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(bot_state.value AS INTEGER) + $delta AS TEXT), updated_at = excluded.updated_at
                RETURNING value
                """);
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$delta", delta);
            command.Parameters.AddWithValue("$now", now);
            var result = command.ExecuteScalar();
            return long.Parse(Convert.ToString(result, CultureInfo.InvariantCulture)!, CultureInfo.InvariantCulture);
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsDatabase)
        {
            await _database.DisposeAsync();
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
