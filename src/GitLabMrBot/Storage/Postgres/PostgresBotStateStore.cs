using System.Globalization;
using GitLabMrBot.Inbox;
using GitLabMrBot.Processing.Reconciliation;
using GitLabMrBot.Storage;
using GitLabMrBot.Storage.Sqlite;
using Npgsql;

namespace GitLabMrBot.Storage.Postgres;

/// <summary>
/// <see cref="IBotStateStore"/> as one table (<c>mrbot_bot_state</c>) beside the PostgreSQL inbox, shared by every
/// instance: every call is one statement, so concurrent instances never lose an update or a round-robin turn.
/// </summary>
public sealed class PostgresBotStateStore : IBotStateStore, IAsyncDisposable, IDisposable
{
    // First key of the table-creation lock ("mrbs").
    private const int SchemaLockKey = 0x6D726273;

    private readonly PostgresTables _tables;
    private readonly TimeProvider _time;

    public PostgresBotStateStore(string connectionString, TimeProvider time)
    {
        _time = time;
        _tables = new PostgresTables(connectionString, SchemaLockKey, """
            CREATE TABLE IF NOT EXISTS mrbot_bot_state (
              key text PRIMARY KEY,
              value text NOT NULL,
              updated_at bigint NOT NULL);
            """, "bot state");
    }

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken) =>
        _tables.RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand("SELECT value FROM mrbot_bot_state WHERE key = @key", connection);
            command.Parameters.AddWithValue("key", key);
            return await command.ExecuteScalarAsync(cancellationToken) as string;
        }, cancellationToken);

    public Task SetAsync(string key, string value, CancellationToken cancellationToken) =>
        _tables.RunAsync(async connection =>
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
        _tables.RunAsync(async connection =>
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

    public ValueTask DisposeAsync() => _tables.DisposeAsync();

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
