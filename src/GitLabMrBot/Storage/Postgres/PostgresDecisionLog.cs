using Npgsql;

namespace GitLabMrBot.Storage.Postgres;

/// <summary>The decision log in the bot's PostgreSQL database (<see cref="PostgresDatabase"/> owns the table).</summary>
public sealed class PostgresDecisionLog(PostgresDatabase database) : IDecisionLog
{
    /// <summary>Not versioned, like the bot state's tables: created when missing, with the rest of the schema.</summary>
    internal const string SchemaSql = """

        CREATE TABLE IF NOT EXISTS mrbot_decisions (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          project_id bigint NOT NULL,
          iid bigint NOT NULL,
          project_path text NULL,
          recorded_at bigint NOT NULL,
          record text NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_mrbot_decisions_mr ON mrbot_decisions (project_id, iid, id);
        CREATE INDEX IF NOT EXISTS ix_mrbot_decisions_time ON mrbot_decisions (recorded_at);
        CREATE INDEX IF NOT EXISTS ix_mrbot_decisions_path ON mrbot_decisions (lower(project_path)) WHERE project_path IS NOT NULL;
        """;

    private const string What = "decision log";

    public Task AppendAsync(DecisionRecord record, int keepPerMergeRequest, DateTimeOffset keepAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var json = record.ToJson();
        return database.RunAsync(What, async (connection, _) =>
        {
            // One implicit transaction: the record and the pruning it makes due.
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    Command("INSERT INTO mrbot_decisions (project_id, iid, project_path, recorded_at, record) VALUES (@project, @iid, @path, @now, @record)",
                        ("project", record.ProjectId), ("iid", record.Iid), ("path", (object?)record.ProjectPath ?? DBNull.Value),
                        ("now", record.StartedAt.ToUnixTimeMilliseconds()), ("record", json)),
                    Command("""
                        DELETE FROM mrbot_decisions WHERE project_id = @project AND iid = @iid AND id NOT IN (
                          SELECT id FROM mrbot_decisions WHERE project_id = @project AND iid = @iid ORDER BY id DESC LIMIT @keep)
                        """, ("project", record.ProjectId), ("iid", record.Iid), ("keep", Math.Max(1, keepPerMergeRequest))),
                    Command("DELETE FROM mrbot_decisions WHERE recorded_at < @after", ("after", keepAfter.ToUnixTimeMilliseconds())),
                },
            };
            return await batch.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<DecisionRecord>> ListAsync(long projectId, long iid, int limit, CancellationToken cancellationToken) =>
        database.RunAsync<IReadOnlyList<DecisionRecord>>(What, async (connection, _) =>
        {
            await using var list = new NpgsqlCommand(
                "SELECT id, record FROM mrbot_decisions WHERE project_id = @project AND iid = @iid ORDER BY id DESC LIMIT @limit", connection);
            list.Parameters.AddWithValue("project", projectId);
            list.Parameters.AddWithValue("iid", iid);
            list.Parameters.AddWithValue("limit", Math.Max(0, limit));
            return await ReadAsync(list, cancellationToken);
        }, cancellationToken);

    public Task<IReadOnlyList<DecisionRecord>> ListRecentAsync(int limit, CancellationToken cancellationToken) =>
        database.RunAsync<IReadOnlyList<DecisionRecord>>(What, async (connection, _) =>
        {
            // The identity's order is the order records were stored in: the primary key serves it.
            await using var list = new NpgsqlCommand("SELECT id, record FROM mrbot_decisions ORDER BY id DESC LIMIT @limit", connection);
            list.Parameters.AddWithValue("limit", Math.Max(0, limit));
            return await ReadAsync(list, cancellationToken);
        }, cancellationToken);

    public Task<long?> FindProjectIdAsync(string projectPath, CancellationToken cancellationToken) =>
        database.RunAsync(What, async (connection, _) =>
        {
            await using var find = new NpgsqlCommand(
                "SELECT project_id FROM mrbot_decisions WHERE lower(project_path) = lower(@path) ORDER BY id DESC LIMIT 1", connection);
            find.Parameters.AddWithValue("path", projectPath.Trim('/'));
            return await find.ExecuteScalarAsync(cancellationToken) is long id ? id : (long?)null;
        }, cancellationToken);

    private static async Task<IReadOnlyList<DecisionRecord>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var records = new List<DecisionRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(DecisionRecord.FromJson(reader.GetInt64(0), reader.GetString(1)));
        }
        return records;
    }

    private static NpgsqlBatchCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return command;
    }
}
