using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace GitLabMrBot.FunctionalTests.Storage;

/// <summary>
/// The PostgreSQL server the Postgres tests run against, once per test run: the one named by
/// <c>MRBOT_TEST_POSTGRES</c> (CI's <c>.ci/services</c> sets it), or else a throw-away cluster started here from the
/// PostgreSQL binaries found on this machine. With neither, every Postgres test fails saying how to provide one:
/// the tests never pass without having run. All tests share one fresh database, dropped at the end; each test
/// gets its own schema in it (<see cref="CreateSchemaAsync"/>).
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string EnvironmentVariable = "MRBOT_TEST_POSTGRES";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private Cluster? _cluster;
    private string? _adminConnectionString;
    private string? _database;

    /// <summary>A connection string to this run's database (no search path: the admin's view of it).</summary>
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _adminConnectionString = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(_adminConnectionString))
        {
            _cluster = await Cluster.StartAsync();
            _adminConnectionString = _cluster.ConnectionString;
        }

        _database = "mrbot_tests_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(_adminConnectionString, $"CREATE DATABASE {_database}");
        ConnectionString = new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = _database }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_database is not null && _adminConnectionString is not null)
            {
                NpgsqlConnection.ClearAllPools();
                await ExecuteAsync(_adminConnectionString, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
            }
        }
        finally
        {
            if (_cluster is not null)
            {
                await _cluster.DisposeAsync();
            }
        }
    }

    /// <summary>A new empty schema; the returned connection string has it as its search path (what a store is given).</summary>
    public async Task<string> CreateSchemaAsync()
    {
        var schema = "t_" + Guid.NewGuid().ToString("N");
        await ExecuteAsync(ConnectionString, $"CREATE SCHEMA {schema}");
        return new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = schema }.ConnectionString;
    }

    /// <summary>Drops the schema behind a connection string from <see cref="CreateSchemaAsync"/>, with everything in it.</summary>
    public Task DropSchemaAsync(string connectionString) =>
        ExecuteAsync(ConnectionString, $"DROP SCHEMA IF EXISTS {new NpgsqlConnectionStringBuilder(connectionString).SearchPath} CASCADE");

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        // Unpooled: administration must not leave idle connections behind that block DROP DATABASE.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A private cluster in a temp folder on a free port, stopped and deleted at the end of the run.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        private readonly string _bin;
        private readonly string _data;
        private readonly bool _asPostgresUser;

        private Cluster(string bin, string data, bool asPostgresUser, int port)
        {
            _bin = bin;
            _data = data;
            _asPostgresUser = asPostgresUser;
            ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=30";
        }

        public string ConnectionString { get; }

        public static async Task<Cluster> StartAsync()
        {
            var bin = FindBinaries() ?? throw new InvalidOperationException(
                $"The PostgreSQL tests need a server and none was found. Either set {EnvironmentVariable} to an admin connection " +
                $"string (e.g. {EnvironmentVariable}=\"Host=127.0.0.1;Port=5432;Username=postgres;Password=...;Database=postgres\"), " +
                "or install PostgreSQL (e.g. apt-get install postgresql) so the tests can start a throw-away cluster with initdb/pg_ctl, " +
                "or run them through `source .ci/services`.");

            // initdb refuses to run as root: the cluster then belongs to the postgres user, like .ci/services does it.
            var asPostgresUser = Environment.IsPrivilegedProcess;
            var data = Path.Combine(Path.GetTempPath(), "mrbot-pg-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(data);
            var port = FreePort();
            var cluster = new Cluster(bin, data, asPostgresUser, port);
            try
            {
                if (asPostgresUser)
                {
                    await RunAsync("chown", ["postgres:postgres", data]);
                }
                await cluster.RunToolAsync("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
                // Sockets in the data folder (not /tmp), no fsync: throw-away data, fast on a loaded machine.
                await cluster.RunToolAsync("pg_ctl", ["-D", data, "-l", Path.Combine(data, "log"), "-w", "-t", "120", "-o",
                    $"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", "start"]);
                return cluster;
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (File.Exists(Path.Combine(_data, "postmaster.pid")))
                {
                    await RunToolAsync("pg_ctl", ["-D", _data, "-m", "immediate", "-w", "stop"]);
                }
            }
            finally
            {
                try
                {
                    Directory.Delete(_data, recursive: true);
                }
                catch (IOException)
                {
                    // Left for the OS temp cleaner.
                }
            }
        }

        private static string? FindBinaries()
        {
            // Debian's layout, newest major version first.
            IEnumerable<string> installed = Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql")
                    .Select(d => Path.Combine(d, "bin"))
                    .Where(HasTools)
                    .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                : [];
            var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Where(HasTools);
            return installed.Concat(onPath).FirstOrDefault();

            static bool HasTools(string directory) =>
                File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl"));
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        private Task RunToolAsync(string tool, IReadOnlyList<string> arguments)
        {
            var path = Path.Combine(_bin, tool);
            if (!_asPostgresUser)
            {
                return RunAsync(path, arguments);
            }
            var command = string.Join(' ', new[] { path }.Concat(arguments).Select(Quote));
            return RunAsync("su", ["postgres", "-s", "/bin/sh", "-c", command]);

            static string Quote(string argument) => "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        }

        private static async Task RunAsync(string fileName, IReadOnlyList<string> arguments)
        {
            var start = new ProcessStartInfo(fileName)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                // Sub-processes must not inherit a working directory the postgres user cannot enter.
                WorkingDirectory = Path.GetTempPath(),
            };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(CommandTimeout);
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error}{await output}");
            }
        }
    }
}

/// <summary>Every Postgres test class is in this collection: one server per run, and the classes run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
