using Microsoft.Data.Sqlite;

namespace GitLabMrBot.Storage.Sqlite;

/// <summary>The decision log in the bot's SQLite file (<see cref="SqliteDatabase"/> owns the table; writes go through its writer).</summary>
public sealed class SqliteDecisionLog(SqliteDatabase database) : IDecisionLog
{
    /// <summary>
    /// Not versioned, like the bot state's tables: created when missing on every open. A record is its JSON; the columns
    /// beside it are what the log is searched and pruned by.
    /// </summary>
    internal const string SchemaSql = """

        CREATE TABLE IF NOT EXISTS decisions (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          project_id INTEGER NOT NULL,
          iid INTEGER NOT NULL,
          project_path TEXT NULL,
          recorded_at INTEGER NOT NULL,
          record TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_decisions_mr ON decisions (project_id, iid, id);
        CREATE INDEX IF NOT EXISTS ix_decisions_time ON decisions (recorded_at);
        CREATE INDEX IF NOT EXISTS ix_decisions_path ON decisions (project_path) WHERE project_path IS NOT NULL;
        """;

    private const string What = "decision log";

    public Task AppendAsync(DecisionRecord record, int keepPerMergeRequest, DateTimeOffset keepAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        cancellationToken.ThrowIfCancellationRequested();
        var json = record.ToJson();
        return database.WriteAsync(What, (connection, transaction, _) =>
        {
            using var insert = SqliteDatabase.Command(connection, transaction, """
                INSERT INTO decisions (project_id, iid, project_path, recorded_at, record) VALUES ($project, $iid, $path, $at, $record);
                DELETE FROM decisions WHERE project_id = $project AND iid = $iid AND id NOT IN (
                  SELECT id FROM decisions WHERE project_id = $project AND iid = $iid ORDER BY id DESC LIMIT $keep);
                DELETE FROM decisions WHERE recorded_at < $after;
                """);
            insert.Parameters.AddWithValue("$project", record.ProjectId);
            insert.Parameters.AddWithValue("$iid", record.Iid);
            insert.Parameters.AddWithValue("$path", (object?)record.ProjectPath ?? DBNull.Value);
            insert.Parameters.AddWithValue("$at", record.StartedAt.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$record", json);
            insert.Parameters.AddWithValue("$keep", Math.Max(1, keepPerMergeRequest));
            insert.Parameters.AddWithValue("$after", keepAfter.ToUnixTimeMilliseconds());
            return insert.ExecuteNonQuery();
        });
    }

    public Task<IReadOnlyList<DecisionRecord>> ListAsync(long projectId, long iid, int limit, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<DecisionRecord>>(database.Read(What, connection =>
        {
            using var list = SqliteDatabase.Command(connection, null,
                "SELECT id, record FROM decisions WHERE project_id = $project AND iid = $iid ORDER BY id DESC LIMIT $limit");
            list.Parameters.AddWithValue("$project", projectId);
            list.Parameters.AddWithValue("$iid", iid);
            list.Parameters.AddWithValue("$limit", Math.Max(0, limit));
            return Read(list);
        }));
    }

    public Task<IReadOnlyList<DecisionRecord>> ListRecentAsync(int limit, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<DecisionRecord>>(database.Read(What, connection =>
        {
            // The primary key's order is the order records were stored in: no index beyond it is needed.
            using var list = SqliteDatabase.Command(connection, null, "SELECT id, record FROM decisions ORDER BY id DESC LIMIT $limit");
            list.Parameters.AddWithValue("$limit", Math.Max(0, limit));
            return Read(list);
        }));
    }

    public Task<long?> FindProjectIdAsync(string projectPath, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(database.Read(What, connection =>
        {
            using var find = SqliteDatabase.Command(connection, null,
                "SELECT project_id FROM decisions WHERE project_path = $path COLLATE NOCASE ORDER BY id DESC LIMIT 1");
            find.Parameters.AddWithValue("$path", projectPath.Trim('/'));
            return find.ExecuteScalar() is long id ? id : (long?)null;
        }));
    }

    private static List<DecisionRecord> Read(SqliteCommand command)
    {
        var records = new List<DecisionRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            records.Add(DecisionRecord.FromJson(reader.GetInt64(0), reader.GetString(1)));
        }
        return records;
    }
}
