using System.Collections.Concurrent;
using System.Globalization;
using Npgsql;

namespace GitLabMrBot.Storage.Postgres;

/// <summary>
/// <see cref="ISweepState"/> in two small tables of the bot's <see cref="PostgresDatabase"/> (<c>mrbot_sweep_projects</c>,
/// <c>mrbot_sweep_state</c>), shared by every instance: a project any instance has seen is swept by all.
/// </summary>
public sealed class PostgresSweepState : ISweepState, IAsyncDisposable, IDisposable
{
    private const string LastSweepKey = "last_sweep_started_at";

    private readonly PostgresDatabase _database;
    private readonly bool _ownsDatabase;

    // Projects written already: remembering the project of every delivery must not cost a write each time.
    private readonly ConcurrentDictionary<long, bool> _known = new();

    /// <summary>A sweep state with a database of its own (tools and tests; the bot shares one, see <c>AddStorage</c>).</summary>
    public PostgresSweepState(string connectionString)
        : this(new PostgresDatabase(connectionString), ownsDatabase: true)
    {
    }

    /// <summary>The sweep state of <paramref name="database"/>, which stays open when this is disposed.</summary>
    public PostgresSweepState(PostgresDatabase database)
        : this(database, ownsDatabase: false)
    {
    }

    private PostgresSweepState(PostgresDatabase database, bool ownsDatabase)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _ownsDatabase = ownsDatabase;
    }

    /// <summary>The database this state is a view on.</summary>
    internal PostgresDatabase Database => _database;

    public async Task RememberProjectsAsync(IReadOnlyCollection<long> projectIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(projectIds);
        // Sorted: two instances inserting overlapping sets lock their rows in the same order.
        var unknown = projectIds.Where(id => !_known.ContainsKey(id)).Distinct().Order().ToArray();
        if (unknown.Length == 0)
        {
            return;
        }
        await Run(async connection =>
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO mrbot_sweep_projects (project_id) SELECT unnest(@ids) ORDER BY 1 ON CONFLICT DO NOTHING", connection);
            insert.Parameters.AddWithValue("ids", unknown);
            return await insert.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
        foreach (var projectId in unknown)
        {
            _known[projectId] = true;
        }
    }

    public Task<IReadOnlyList<long>> KnownProjectsAsync(CancellationToken cancellationToken) =>
        Run<IReadOnlyList<long>>(async connection =>
        {
            await using var select = new NpgsqlCommand("SELECT project_id FROM mrbot_sweep_projects ORDER BY project_id", connection);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            var projects = new List<long>();
            while (await reader.ReadAsync(cancellationToken))
            {
                projects.Add(reader.GetInt64(0));
            }
            return projects;
        }, cancellationToken);

    public Task<DateTimeOffset?> LastSweepAsync(CancellationToken cancellationToken) =>
        Run<DateTimeOffset?>(async connection =>
        {
            await using var select = new NpgsqlCommand("SELECT value FROM mrbot_sweep_state WHERE key = @key", connection);
            select.Parameters.AddWithValue("key", LastSweepKey);
            return await select.ExecuteScalarAsync(cancellationToken) is string text
                   && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
                ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
                : null;
        }, cancellationToken);

    public Task SetLastSweepAsync(DateTimeOffset startedAt, CancellationToken cancellationToken) =>
        Run(async connection =>
        {
            await using var upsert = new NpgsqlCommand(
                "INSERT INTO mrbot_sweep_state (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                connection);
            upsert.Parameters.AddWithValue("key", LastSweepKey);
            upsert.Parameters.AddWithValue("value", startedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            return await upsert.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    private Task<T> Run<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken) =>
        _database.RunAsync("sweep state", (connection, _) => work(connection), cancellationToken);

    public ValueTask DisposeAsync() => _ownsDatabase ? _database.DisposeAsync() : ValueTask.CompletedTask;

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
