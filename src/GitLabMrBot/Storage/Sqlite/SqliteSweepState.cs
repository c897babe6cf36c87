using System.Collections.Concurrent;
using System.Globalization;
using GitLabMrBot.Inbox;
using GitLabMrBot.Processing.Sweep;
using GitLabMrBot.Storage;
using GitLabMrBot.Storage.Postgres;
using Microsoft.Data.Sqlite;

namespace GitLabMrBot.Storage.Sqlite;

/// <summary>
/// <see cref="ISweepState"/> in two small tables of the inbox's SQLite file, so one file holds everything the bot
/// must not forget. The tables are its own (created if missing); the inbox's schema is left alone.
/// </summary>
public sealed class SqliteSweepState : ISweepState
{
    private const string LastSweepKey = "last_sweep_started_at";

    private readonly string _connectionString;

    // Projects written already: remembering the project of every delivery must not cost a write each time.
    private readonly ConcurrentDictionary<long, bool> _known = new();
    private int _schemaReady;

    public SqliteSweepState(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.GetFullPath(path),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public Task RememberProjectsAsync(IReadOnlyCollection<long> projectIds, CancellationToken cancellationToken)
    {
        var unknown = projectIds.Where(id => !_known.ContainsKey(id)).Distinct().ToList();
        if (unknown.Count == 0)
        {
            return Task.CompletedTask;
        }
        Run(connection =>
        {
            using var transaction = connection.BeginTransaction();
            using var insert = Command(connection, "INSERT INTO sweep_projects (project_id) VALUES ($id) ON CONFLICT DO NOTHING");
            insert.Transaction = transaction;
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            foreach (var projectId in unknown)
            {
                id.Value = projectId;
                insert.ExecuteNonQuery();
            }
            transaction.Commit();
            return 0;
        });
        foreach (var projectId in unknown)
        {
            _known[projectId] = true;
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<long>> KnownProjectsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<long>>(Run(connection =>
        {
            using var select = Command(connection, "SELECT project_id FROM sweep_projects ORDER BY project_id");
            using var reader = select.ExecuteReader();
            var projects = new List<long>();
            while (reader.Read())
            {
                projects.Add(reader.GetInt64(0));
            }
            return projects;
        }));

    public Task<DateTimeOffset?> LastSweepAsync(CancellationToken cancellationToken) =>
        Task.FromResult(Run<DateTimeOffset?>(connection =>
        {
            using var select = Command(connection, "SELECT value FROM sweep_state WHERE key = $key");
            select.Parameters.AddWithValue("$key", LastSweepKey);
            return select.ExecuteScalar() is string text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
                ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
                : null;
        }));

    public Task SetLastSweepAsync(DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        Run(connection =>
        {
            using var upsert = Command(connection,
                "INSERT INTO sweep_state (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
            upsert.Parameters.AddWithValue("$key", LastSweepKey);
            upsert.Parameters.AddWithValue("$value", startedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            return upsert.ExecuteNonQuery();
        });
        return Task.CompletedTask;
    }

    private T Run<T>(Func<SqliteConnection, T> work)
    {
        try
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using (var pragmas = Command(connection, "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;"))
            {
                pragmas.ExecuteNonQuery();
            }
            EnsureSchema(connection);
            return work(connection);
        }
        catch (SqliteException e)
        {
            throw new InboxUnavailableException($"The sweep state is unavailable: {e.Message}", e);
        }
    }

    private void EnsureSchema(SqliteConnection connection)
    {
        if (Volatile.Read(ref _schemaReady) == 1)
        {
            return;
        }
        using var create = Command(connection, """
            CREATE TABLE IF NOT EXISTS sweep_projects (project_id INTEGER PRIMARY KEY);
            CREATE TABLE IF NOT EXISTS sweep_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """);
        create.ExecuteNonQuery();
        Volatile.Write(ref _schemaReady, 1);
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
}
