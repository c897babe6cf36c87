using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace GitLabMrBot.Storage.Sqlite;

/// <summary>
/// <see cref="ISweepState"/> in two small tables of the bot's <see cref="SqliteDatabase"/>, so one file holds everything
/// the bot must not forget: reads on reader connections, writes through the database's one writer.
/// </summary>
public sealed class SqliteSweepState : ISweepState, IAsyncDisposable, IDisposable
{
    private const string What = "sweep state";

    private const string LastSweepKey = "last_sweep_started_at";

    private readonly SqliteDatabase _database;
    private readonly bool _ownsDatabase;

    // Projects written already: remembering the project of every delivery must not cost a write each time.
    private readonly ConcurrentDictionary<long, bool> _known = new();

    /// <summary>A sweep state with a database of its own on <paramref name="path"/> (tools and tests; the bot shares one, see <c>AddStorage</c>).</summary>
    public SqliteSweepState(string path)
        : this(new SqliteDatabase(path, TimeProvider.System), ownsDatabase: true)
    {
    }

    /// <summary>The sweep state of <paramref name="database"/>, which stays open when this is disposed.</summary>
    public SqliteSweepState(SqliteDatabase database)
        : this(database, ownsDatabase: false)
    {
    }

    private SqliteSweepState(SqliteDatabase database, bool ownsDatabase)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _ownsDatabase = ownsDatabase;
    }

    /// <summary>The database this state is a view on.</summary>
    internal SqliteDatabase Database => _database;

    public async Task RememberProjectsAsync(IReadOnlyCollection<long> projectIds, CancellationToken cancellationToken)
    {
        var unknown = projectIds.Where(id => !_known.ContainsKey(id)).Distinct().ToList();
        if (unknown.Count == 0)
        {
            return;
        }
        await _database.WriteAsync(What, (connection, transaction, _) =>
        {
            using var insert = SqliteDatabase.Command(connection, transaction, "INSERT INTO sweep_projects (project_id) VALUES ($id) ON CONFLICT DO NOTHING");
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            foreach (var projectId in unknown)
            {
                id.Value = projectId;
                insert.ExecuteNonQuery();
            }
            return 0;
        });
        foreach (var projectId in unknown)
        {
            _known[projectId] = true;
        }
    }

    public Task<IReadOnlyList<long>> KnownProjectsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<long>>(_database.Read(What, connection =>
        {
            using var select = SqliteDatabase.Command(connection, null, "SELECT project_id FROM sweep_projects ORDER BY project_id");
            using var reader = select.ExecuteReader();
            var projects = new List<long>();
            while (reader.Read())
            {
                projects.Add(reader.GetInt64(0));
            }
            return projects;
        }));

    public Task<DateTimeOffset?> LastSweepAsync(CancellationToken cancellationToken) =>
        Task.FromResult(_database.Read<DateTimeOffset?>(What, connection =>
        {
            using var select = SqliteDatabase.Command(connection, null, "SELECT value FROM sweep_state WHERE key = $key");
            select.Parameters.AddWithValue("$key", LastSweepKey);
            return select.ExecuteScalar() is string text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
                ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
                : null;
        }));

    public Task SetLastSweepAsync(DateTimeOffset startedAt, CancellationToken cancellationToken) =>
        _database.WriteAsync(What, (connection, transaction, _) =>
        {
            using var upsert = SqliteDatabase.Command(connection, transaction,
                "INSERT INTO sweep_state (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
            upsert.Parameters.AddWithValue("$key", LastSweepKey);
            upsert.Parameters.AddWithValue("$value", startedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            return upsert.ExecuteNonQuery();
        });

    public async ValueTask DisposeAsync()
    {
        if (_ownsDatabase)
        {
            await _database.DisposeAsync();
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
