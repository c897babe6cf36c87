using System.Globalization;
using GitLabMrBot.Configuration;
using GitLabMrBot.Inbox;
using Npgsql;

namespace GitLabMrBot.Storage.Postgres;

/// <summary>
/// The bot's PostgreSQL database, shared by its stores (<see cref="PostgresInboxStore"/>, <see cref="PostgresBotStateStore"/>,
/// <see cref="PostgresSweepState"/>, each a view on it): one connection pool, and the schema of every store, created or
/// migrated in the first schema of the connection's search path. The schema is created on first use (under an advisory
/// lock, so instances starting together do not race), not in the constructor: an instance started while the server is
/// down reports unavailable and recovers when it answers. Server failures are reported as
/// <see cref="InboxUnavailableException"/>, as the SQLite stores do.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable, IDisposable
{
    /// <summary>Bumped by each schema change; the <c>mrbot_schema</c> row records what the database has.</summary>
    internal const int SchemaVersion = 2;

    // First key of the schema-creation lock ("mrbo"); the second is the schema's name, so schemas never wait on each other.
    private const int SchemaLockKey = 0x6D72626F;

    // Version 1, exactly as it shipped: a new database is created at version 1 and migrated like an old one,
    // so every database reaches the current version through the same steps.
    private const string CreateV1Sql = """
        CREATE TABLE mrbot_deliveries (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          dedupe_key text NOT NULL UNIQUE,
          event text NOT NULL,
          subject text NOT NULL,
          event_uuid text NULL,
          received_at bigint NOT NULL,
          body bytea NOT NULL,
          status text NOT NULL,
          attempts integer NOT NULL DEFAULT 0,
          next_attempt_at bigint NOT NULL,
          lease_owner text NULL,
          lease_until bigint NULL,
          last_error text NULL,
          completed_at bigint NULL
        );
        CREATE INDEX ix_mrbot_deliveries_pending ON mrbot_deliveries (id) INCLUDE (subject, next_attempt_at) WHERE status = 'pending';
        -- A subject's leases: when its deliveries in flight become claimable again.
        CREATE INDEX ix_mrbot_deliveries_leased ON mrbot_deliveries (subject, lease_until) WHERE status = 'processing';
        -- Claim: every due delivery of one subject, skipping its done history.
        CREATE INDEX ix_mrbot_deliveries_subject ON mrbot_deliveries (subject, status, id);
        -- Prune.
        CREATE INDEX ix_mrbot_deliveries_done ON mrbot_deliveries (completed_at) WHERE status = 'done';
        INSERT INTO mrbot_schema (version) VALUES (1);
        """;

    // Version 2: one row per subject with work (pending or in flight), so finding the next claimable subject and the
    // next due time no longer scan every queued delivery (a burst for one MR made each claim attempt O(N)).
    // The subject row is also the claim's lock: whoever changes a subject's leases holds its row.
    private const string MigrateV2Sql = """
        CREATE TABLE mrbot_subjects (
          subject text PRIMARY KEY,
          next_due bigint NULL,
          first_id bigint NULL, -- the oldest unfinished delivery: subjects are served oldest first
          lease_owner text NULL,
          lease_until bigint NULL
        );
        CREATE INDEX ix_mrbot_subjects_first ON mrbot_subjects (first_id);
        INSERT INTO mrbot_subjects (subject, next_due, first_id, lease_owner, lease_until)
          SELECT subject,
                 LEAST(MIN(CASE WHEN status = 'pending' THEN next_attempt_at END), MIN(CASE WHEN status = 'processing' THEN lease_until END)),
                 MIN(id),
                 MAX(CASE WHEN status = 'processing' THEN lease_owner END),
                 MAX(CASE WHEN status = 'processing' THEN lease_until END)
          FROM mrbot_deliveries WHERE status IN ('pending', 'processing') GROUP BY subject;
        DROP INDEX IF EXISTS ix_mrbot_deliveries_pending;
        -- Refreshing a subject: when its next pending delivery is due, without reading them all.
        CREATE INDEX ix_mrbot_deliveries_due ON mrbot_deliveries (subject, next_attempt_at) WHERE status = 'pending';
        UPDATE mrbot_schema SET version = 2;
        """;

    // The bot state's and the sweep's tables are not versioned: databases of every version may already have them (their
    // stores once created them on their own), and their shape never changed.
    private const string StateTablesSql = """
        CREATE TABLE IF NOT EXISTS mrbot_bot_state (
          key text PRIMARY KEY,
          value text NOT NULL,
          updated_at bigint NOT NULL);
        CREATE TABLE IF NOT EXISTS mrbot_sweep_projects (project_id bigint PRIMARY KEY);
        CREATE TABLE IF NOT EXISTS mrbot_sweep_state (key text PRIMARY KEY, value text NOT NULL);
        """ + PostgresDecisionLog.SchemaSql;

    // The webhook request's W3C traceparent, so the worker continues its trace. Nullable and added when missing rather
    // than by a schema version: older databases gain it, and older builds reading a newer database ignore it.
    // Checked first: ALTER TABLE locks the table even when the column is there, and other instances may be working.
    private const string TraceParentColumnSql = """
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                         WHERE table_schema = current_schema() AND table_name = 'mrbot_deliveries' AND column_name = 'trace_parent') THEN
            ALTER TABLE mrbot_deliveries ADD COLUMN trace_parent text NULL;
          END IF;
        END $$;
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private Identity? _identity;

    /// <param name="connectionString">The bot's <see cref="BotSettings.Database"/>.</param>
    public PostgresDatabase(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        try
        {
            // The database's own pool: disposing it closes its connections.
            _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString));
        }
        catch (ArgumentException e)
        {
            // The message names the bad keyword, never a value: the string may hold a password.
            throw new InboxUnavailableException($"{BotSettings.DatabaseKey} is not a valid PostgreSQL connection string: {e.Message}", e);
        }
    }

    internal NpgsqlDataSource DataSource => _dataSource;

    /// <summary>
    /// Runs <paramref name="work"/> on an open connection once the schema exists; server failures become
    /// <see cref="InboxUnavailableException"/> naming <paramref name="what"/>.
    /// </summary>
    internal async Task<T> RunAsync<T>(string what, Func<NpgsqlConnection, Identity, Task<T>> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var identity = await EnsureSchemaAsync(cancellationToken);
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            return await work(connection, identity);
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            throw new InboxUnavailableException($"The {what} is unavailable: {e.Message}", e);
        }
    }

    /// <summary>Server and network failures, and a database already disposed; a caller's own cancellation stays a cancellation.</summary>
    internal static bool IsUnavailable(Exception e, CancellationToken cancellationToken) => e switch
    {
        InboxUnavailableException => false,
        NpgsqlException => true,
        ObjectDisposedException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    /// <summary>
    /// Creates or migrates every store's tables on first use (once per database object; retried after a failure) and
    /// learns the inbox table's identity.
    /// </summary>
    internal async Task<Identity> EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _identity) is { } known)
        {
            return known;
        }
        await _schemaGate.WaitAsync(cancellationToken);
        try
        {
            if (_identity is { } raced)
            {
                return raced;
            }
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // DDL is transactional in PostgreSQL: under this lock, the second instance sees the first one's tables.
            await using (var lockSchema = Command(connection, """
                SELECT pg_advisory_xact_lock(@key, hashtext(COALESCE(current_schema(), '')));
                CREATE TABLE IF NOT EXISTS mrbot_schema (
                  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                  version integer NOT NULL);
                """, transaction))
            {
                lockSchema.Parameters.AddWithValue("key", SchemaLockKey);
                await lockSchema.ExecuteNonQueryAsync(cancellationToken);
            }

            int? version;
            await using (var read = Command(connection, "SELECT version FROM mrbot_schema", transaction))
            {
                version = await read.ExecuteScalarAsync(cancellationToken) as int?;
            }
            if (version > SchemaVersion)
            {
                throw new InboxUnavailableException(
                    $"The PostgreSQL inbox has schema version {version}, newer than this build understands ({SchemaVersion}): run a newer GitLabMrBot.");
            }
            if (version is null)
            {
                await using var create = Command(connection, CreateV1Sql, transaction);
                await create.ExecuteNonQueryAsync(cancellationToken);
                version = 1;
            }
            if (version < 2)
            {
                await using var migrate = Command(connection, MigrateV2Sql, transaction);
                await migrate.ExecuteNonQueryAsync(cancellationToken);
            }
            await using (var state = Command(connection, StateTablesSql, transaction))
            {
                await state.ExecuteNonQueryAsync(cancellationToken);
            }
            await using (var traceParent = Command(connection, TraceParentColumnSql, transaction))
            {
                await traceParent.ExecuteNonQueryAsync(cancellationToken);
            }

            Identity identity;
            await using (var oid = Command(connection, "SELECT 'mrbot_deliveries'::regclass::oid::bigint", transaction))
            {
                var tableOid = (long)(await oid.ExecuteScalarAsync(cancellationToken))!;
                // The table's oid is unique in the database: it keeps wake-ups of two schemas apart.
                identity = new Identity(tableOid.ToString(CultureInfo.InvariantCulture));
            }
            await transaction.CommitAsync(cancellationToken);
            Volatile.Write(ref _identity, identity);
            return identity;
        }
        finally
        {
            _schemaGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        _schemaGate.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null) =>
        new(sql, connection, transaction);

    /// <summary>What the database learns of the inbox table on first use: the <c>NOTIFY</c> payload of its commits.</summary>
    internal sealed record Identity(string Payload);
}
