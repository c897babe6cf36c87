using System.Globalization;
using Npgsql;

namespace GitLabMrBot.Storage.Postgres;

/// <summary>
/// <see cref="IBotStateStore"/> as one table (<c>mrbot_bot_state</c>) of the bot's <see cref="PostgresDatabase"/>, shared
/// by every instance: every call is one statement, so concurrent instances never lose an update or a round-robin turn.
/// </summary>
public sealed class PostgresBotStateStore : IBotStateStore, IAsyncDisposable, IDisposable
{
    private readonly PostgresDatabase _database;
    private readonly bool _ownsDatabase;
    private readonly TimeProvider _time;

    /// <summary>A store with a database of its own (tools and tests; the bot shares one, see <c>AddStorage</c>).</summary>
    public PostgresBotStateStore(string connectionString, TimeProvider time)
        : this(new PostgresDatabase(connectionString), ownsDatabase: true, time)
    {
    }

    /// <summary>The bot state of <paramref name="database"/>, which stays open when this is disposed.</summary>
    public PostgresBotStateStore(PostgresDatabase database, TimeProvider time)
        : this(database, ownsDatabase: false, time)
    {
    }

    private PostgresBotStateStore(PostgresDatabase database, bool ownsDatabase, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _ownsDatabase = ownsDatabase;
        _time = time;
    }

    /// <summary>The database this store is a view on.</summary>
    internal PostgresDatabase Database => _database;

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken) =>
        Run(async connection =>
        {
            await using var command = new NpgsqlCommand("SELECT value FROM mrbot_bot_state WHERE key = @key", connection);
            command.Parameters.AddWithValue("key", key);
            return await command.ExecuteScalarAsync(cancellationToken) as string;
        }, cancellationToken);

    public Task SetAsync(string key, string value, CancellationToken cancellationToken) =>
        Run(async connection =>
        {
            await using var command = new NpgsqlCommand("""
                INSERT INTO mrbot_bot_state (key, value, updated_at) VALUES (@key, @value, @now)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """, connection);
            command.Parameters.AddWithValue("key", key);
            command.Parameters.AddWithValue("value", value);
            command.Parameters.AddWithValue("now", _time.GetUtcNow().ToUnixTimeMilliseconds());
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    public Task<long> IncrementAsync(string key, long delta, CancellationToken cancellationToken) =>
        Run(async connection =>
        {
            // One statement: the conflicting row is locked and re-read, so concurrent increments (on any instance)
            // each see the one before.
            await using var command = new NpgsqlCommand("""
                INSERT INTO mrbot_bot_state (key, value, updated_at) VALUES (@key, @delta::text, @now)
                ON CONFLICT (key) DO UPDATE SET value = (mrbot_bot_state.value::bigint + @delta)::text, updated_at = excluded.updated_at
                RETURNING value
                """, connection);
            command.Parameters.AddWithValue("key", key);
            command.Parameters.AddWithValue("delta", delta);
            command.Parameters.AddWithValue("now", _time.GetUtcNow().ToUnixTimeMilliseconds());
            var value = (string)(await command.ExecuteScalarAsync(cancellationToken))!;
            return long.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }, cancellationToken);

    private Task<T> Run<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken) =>
        _database.RunAsync("bot state", (connection, _) => work(connection), cancellationToken);

    public ValueTask DisposeAsync() => _ownsDatabase ? _database.DisposeAsync() : ValueTask.CompletedTask;

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
