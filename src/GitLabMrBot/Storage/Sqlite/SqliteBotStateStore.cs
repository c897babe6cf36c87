using System.Globalization;
using GitLabMrBot.Processing.Reconciliation;
using GitLabMrBot.Storage;
using GitLabMrBot.Storage.Postgres;
using Microsoft.Data.Sqlite;

namespace GitLabMrBot.Storage.Sqlite;

/// <summary>
/// <see cref="IBotStateStore"/> as one table (<c>bot_state</c>) in the SQLite file the inbox uses. Every call is
/// one short statement; SQLite's busy timeout waits out the inbox's group commits.
/// </summary>
public sealed class SqliteBotStateStore : IBotStateStore
{
    private readonly string _connectionString;

    public SqliteBotStateStore(string path, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Time = time;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.GetFullPath(path),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        using var connection = Open();
        using var create = connection.CreateCommand();
        // WAL, as the inbox: writers wait for each other through the busy timeout instead of failing on lock upgrades.
        create.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS bot_state (
              key TEXT PRIMARY KEY NOT NULL,
              value TEXT NOT NULL,
              updated_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            """;
        create.ExecuteNonQuery();
    }

    private TimeProvider Time { get; }

    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM bot_state WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task SetAsync(string key, string value, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO bot_state (key, value, updated_at) VALUES ($key, $value, $now)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
            """;
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value);
        command.Parameters.AddWithValue("$now", Time.GetUtcNow().ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<long> IncrementAsync(string key, long delta, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        // One statement: concurrent increments (several workers) never lose a turn.
        command.CommandText = """
            INSERT INTO bot_state (key, value, updated_at) VALUES ($key, CAST($delta AS TEXT), $now)
            ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(bot_state.value AS INTEGER) + $delta AS TEXT), updated_at = excluded.updated_at
            RETURNING value
            """;
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$delta", delta);
        command.Parameters.AddWithValue("$now", Time.GetUtcNow().ToUnixTimeMilliseconds());
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return long.Parse(Convert.ToString(result, CultureInfo.InvariantCulture)!, CultureInfo.InvariantCulture);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }
}
