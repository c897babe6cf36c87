using System.Threading.Channels;
using GitLabMrBot.Inbox;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace GitLabMrBot.Storage.Sqlite;

/// <summary>
/// The bot's SQLite file, shared by its stores (<see cref="SqliteInboxStore"/>, <see cref="SqliteBotStateStore"/>,
/// <see cref="SqliteSweepState"/>, each a view on it): it owns the file, the schema of every store, and the one writer.
/// WAL mode with <c>synchronous=FULL</c>, so a write is on disk before its caller hears of it. Every write goes
/// through one writer thread, which drains its queue into one transaction (group commit: one fsync for many
/// callers) and answers every caller once it committed, so no write ever waits for SQLite's write lock (a busy
/// writer sleeps in steps of up to 100 ms). Reads use pooled reader connections, which WAL never blocks.
/// Times are Unix milliseconds from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class SqliteDatabase : IAsyncDisposable, IDisposable
{
    /// <summary>Bumped by each schema change; <c>PRAGMA user_version</c> records what the file has.</summary>
    internal const int SchemaVersion = 2;

    /// <summary>Most writes committed in one transaction: bounds the time one commit holds the write lock.</summary>
    internal const int MaxGroupCommit = 512;

    /// <summary>New deliveries committed between two checkpoints of the WAL into the database file.</summary>
    private const int CheckpointEvery = 2000;

    private readonly string _connectionString;
    private readonly ILogger _logger;
    private readonly Channel<SqliteWrite> _writes;
    private readonly Task _writer;
    private readonly Channel<bool> _checkpoints;
    private readonly Task _checkpointer;
    private int _disposed;
    private long _maxPageCount;
    private string? _writeFailure;
    private long _failedBytes;
    private FileStream? _workerLock;

    /// <param name="path">The file; created with the schema when missing.</param>
    /// <param name="time">The clock of every stored time.</param>
    /// <param name="signal">Pulsed when a commit brought new deliveries, so idle workers look at once.</param>
    /// <param name="logger">Receives commit and checkpoint failures.</param>
    public SqliteDatabase(string path, TimeProvider time, InboxSignal? signal = null, ILogger<SqliteDatabase>? logger = null)
        : this(path, time, signal, (ILogger?)logger)
    {
    }

    internal SqliteDatabase(string path, TimeProvider time, InboxSignal? signal, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Time = time;
        Signal = signal;
        _logger = logger ?? NullLogger.Instance;
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        try
        {
            using var connection = Open();
            CreateSchema(connection);
        }
        catch (SqliteException e)
        {
            throw new InboxUnavailableException($"Cannot open the SQLite inbox '{Path}': {e.Message}", e);
        }

        _writes = Channel.CreateUnbounded<SqliteWrite>(new UnboundedChannelOptions { SingleReader = true });
        _checkpoints = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        _checkpointer = Task.Run(CheckpointLoopAsync);
        // Its own thread: every commit blocks in fsync, and a thread-pool thread blocked there is one Kestrel lacks
        // (on 2 cores the pool starts with 2 and adds more only slowly: requests then stall for hundreds of ms).
        _writer = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>The full path of the database file.</summary>
    public string Path { get; }

    internal TimeProvider Time { get; }

    internal InboxSignal? Signal { get; }

    /// <summary>False once disposed or once the writer stopped: nothing can be written any more.</summary>
    internal bool IsWritable => Volatile.Read(ref _disposed) == 0 && !_writer.IsCompleted;

    internal long Now() => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Why the last commit failed (a full disk: "database or disk is full"), or null once a commit succeeded again.
    /// The intake answers 503 meanwhile anyway (its own commit fails); this lets readiness say so.
    /// </summary>
    internal string? WriteFailure => Volatile.Read(ref _writeFailure);

    /// <summary>
    /// Commits a write as large as the bodies of the commit that failed (at least <see cref="MinProbeBytes"/>, at most
    /// <see cref="MaxProbeBytes"/>; a row of the bot state, deleted again once it committed), so readiness can find out
    /// whether the store takes such a write again without waiting for the next delivery. Null when it committed, else why not.
    /// </summary>
    internal async Task<string?> ProbeWriteAsync()
    {
        var size = Math.Clamp(Interlocked.Read(ref _failedBytes), MinProbeBytes, MaxProbeBytes);
        try
        {
            await WriteAsync("inbox", (connection, transaction, now) =>
            {
                using var probe = Command(connection, transaction,
                    "INSERT OR REPLACE INTO bot_state (key, value, updated_at) VALUES ('health:write-probe', zeroblob($size), $now)");
                probe.Parameters.AddWithValue("$size", size);
                probe.Parameters.AddWithValue("$now", now);
                probe.ExecuteNonQuery();
                return true;
            }).ConfigureAwait(false);
        }
        catch (InboxUnavailableException e)
        {
            return e.InnerException?.Message ?? e.Message;
        }
        WritesRecovered();
        // Its pages go back to the free list, for the deliveries; nobody waits for this.
        _ = WriteAsync("inbox", static (connection, transaction, _) =>
        {
            using var delete = Command(connection, transaction, "DELETE FROM bot_state WHERE key = 'health:write-probe'");
            return delete.ExecuteNonQuery();
        }).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        return null;
    }

    internal const int MinProbeBytes = 64 * 1024;

    internal const int MaxProbeBytes = 32 * 1024 * 1024;

    /// <summary>
    /// Caps the file at this many pages on the writer's connection (0: SQLite's own maximum), from its next commit on:
    /// a write that needs more fails with SQLITE_FULL exactly as on a full disk. Tests simulate a full disk with it
    /// (no root needed); kept across the writer's reconnections.
    /// </summary>
    internal long MaxPageCount
    {
        get => Interlocked.Read(ref _maxPageCount);
        set => Interlocked.Exchange(ref _maxPageCount, value);
    }

    /// <summary>
    /// Queues <paramref name="work"/> for the writer, which runs it in its own savepoint of its next group commit (a
    /// failing write is undone alone) with the commit's time. The result is handed out only once that commit is durable.
    /// </summary>
    /// <param name="what">Names the store in errors ("The {what} is unavailable").</param>
    internal Task<T> WriteAsync<T>(string what, Func<SqliteConnection, SqliteTransaction, long, T> work)
    {
        var write = new SavepointWrite<T>(what, work);
        Enqueue(write);
        return write.Task;
    }

    /// <summary>Queues a write for the writer's next group commit; its caller hears of it through the write itself.</summary>
    internal void Enqueue(SqliteWrite write)
    {
        if (!_writes.Writer.TryWrite(write))
        {
            throw new InboxUnavailableException("The inbox is shut down.");
        }
    }

    /// <summary>Runs <paramref name="work"/> on a reader connection; SQLite failures become <see cref="InboxUnavailableException"/>.</summary>
    internal T Read<T>(string what, Func<SqliteConnection, T> work)
    {
        try
        {
            using var connection = Open();
            return work(connection);
        }
        catch (SqliteException e)
        {
            throw new InboxUnavailableException($"The {what} is unavailable: {e.Message}", e);
        }
    }

    internal static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    /// <summary>
    /// Takes (or already holds) the file's worker lock, <c>&lt;file&gt;.worker-lock</c>, held until disposal: an OS file
    /// lock, so a killed process's lock goes with it. False while another live process holds it.
    /// </summary>
    internal bool TryHoldWorkerLock()
    {
        lock (_writes)
        {
            if (_workerLock is not null)
            {
                return true;
            }
            try
            {
                // FileShare.None is an exclusive advisory lock (flock) on Unix, a sharing lock on Windows.
                _workerLock = new FileStream(Path + ".worker-lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        lock (_writes)
        {
            _workerLock?.Dispose();
            _workerLock = null;
        }
        // Writes already queued are still committed: their callers are waiting for an answer.
        _writes.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        _checkpoints.Writer.TryComplete();
        await _checkpointer.ConfigureAwait(false);
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void WriteLoop()
    {
        var reader = _writes.Reader;
        var batch = new List<SqliteWrite>(MaxGroupCommit);
        SqliteWriteSession? session = null;
        var sinceCheckpoint = 0;
        try
        {
            // Blocking waits on purpose: this loop owns its thread, and must never hop onto the thread pool.
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                // Everything queued while the previous commit was syncing goes into this one.
                while (batch.Count < MaxGroupCommit && reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                try
                {
                    session ??= new SqliteWriteSession(Open(writer: true));
                    session.LimitPages(MaxPageCount);
                    var added = session.Commit(batch, Now());
                    // Workers are woken first: by the time a caller sees its answer, they are already looking.
                    if (added > 0)
                    {
                        Signal?.Pulse();
                    }
                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i].Committed();
                    }
                    // Small writes (the worker's claims) may still fit where a body did not: only a commit as large
                    // as the one that failed shows that the store writes again.
                    if (Volatile.Read(ref _writeFailure) is not null && BatchBytes(batch) >= Interlocked.Read(ref _failedBytes))
                    {
                        WritesRecovered();
                    }
                    sinceCheckpoint += added;
                    if (sinceCheckpoint >= CheckpointEvery)
                    {
                        sinceCheckpoint = 0;
                        _checkpoints.Writer.TryWrite(true);
                    }
                }
                catch (Exception e)
                {
                    Log.GroupCommitFailed(_logger, batch.Count, e);
                    Volatile.Write(ref _writeFailure, e.Message);
                    Interlocked.Exchange(ref _failedBytes, BatchBytes(batch));
                    // A WAL that is never checkpointed only grows; on a full disk it must restart from its beginning,
                    // which only a checkpoint allows. Counting to the next checkpoint would wait for commits that fail.
                    sinceCheckpoint = 0;
                    _checkpoints.Writer.TryWrite(true);
                    var failure = new InboxUnavailableException("The inbox could not commit the delivery.", e);
                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i].TrySetFailure(failure);
                    }
                    // The connection may be broken (disk gone, file replaced): start afresh with the next batch.
                    session?.Dispose();
                    session = null;
                }
                batch.Clear();
            }
        }
        finally
        {
            session?.Dispose();
        }
    }

    private static long BatchBytes(List<SqliteWrite> batch)
    {
        long bytes = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            bytes += batch[i].Bytes;
        }
        return bytes;
    }

    private void WritesRecovered()
    {
        if (Interlocked.Exchange(ref _writeFailure, null) is not null)
        {
            Log.WritesRecovered(_logger);
        }
    }

    private async Task CheckpointLoopAsync()
    {
        var kicks = _checkpoints.Reader;
        while (await kicks.WaitToReadAsync().ConfigureAwait(false))
        {
            kicks.TryRead(out _);
            try
            {
                using var connection = Open();
                // PASSIVE never waits for (nor blocks) the writer; whatever it cannot copy now, the next one will.
                using var checkpoint = Command(connection, null, "PRAGMA wal_checkpoint(PASSIVE);");
                checkpoint.ExecuteNonQuery();
            }
            catch (SqliteException e)
            {
                Log.CheckpointFailed(_logger, e);
            }
        }
    }

    /// <summary>A connection with the bot's pragmas; the caller disposes it.</summary>
    internal SqliteConnection Open(bool writer = false)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            // Per connection (not stored in the file). The writer uses FULL: the WAL is synced at every commit, so a
            // 202 survives power loss; every write goes through it. Other connections only read, checkpoint or
            // create the schema.
            // The writer never checkpoints itself (copying the WAL into the file and syncing it would stall every
            // waiting request): it hands that to the checkpointer task instead.
            using var pragmas = Command(connection, null, writer
                ? "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 0;"
                : "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
            pragmas.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Every store's tables, created or migrated in one transaction when the file is opened.</summary>
    private static void CreateSchema(SqliteConnection connection)
    {
        using (var wal = Command(connection, null, "PRAGMA journal_mode = WAL;"))
        {
            var mode = wal.ExecuteScalar() as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InboxUnavailableException($"The SQLite inbox could not switch to WAL mode (journal mode is '{mode}').");
            }
        }

        using var transaction = connection.BeginTransaction(deferred: false);
        long version;
        using (var read = Command(connection, transaction, "PRAGMA user_version;"))
        {
            version = (long)read.ExecuteScalar()!;
        }
        if (version > SchemaVersion)
        {
            throw new InboxUnavailableException(
                $"The SQLite inbox has schema version {version}, newer than this build understands ({SchemaVersion}): run a newer GitLabMrBot.");
        }
        if (version < 1)
        {
            using var create = Command(connection, transaction, """
                CREATE TABLE deliveries (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  dedupe_key TEXT NOT NULL UNIQUE,
                  event TEXT NOT NULL,
                  subject TEXT NOT NULL,
                  event_uuid TEXT NULL,
                  received_at INTEGER NOT NULL,
                  body BLOB NOT NULL,
                  status TEXT NOT NULL,
                  attempts INTEGER NOT NULL DEFAULT 0,
                  next_attempt_at INTEGER NOT NULL,
                  lease_owner TEXT NULL,
                  lease_until INTEGER NULL,
                  last_error TEXT NULL,
                  completed_at INTEGER NULL
                );
                -- Claim: every due delivery of one subject, skipping its done history.
                CREATE INDEX ix_deliveries_subject ON deliveries (subject, status, id);
                -- Prune.
                CREATE INDEX ix_deliveries_done ON deliveries (completed_at) WHERE status = 'done';
                PRAGMA user_version = 1;
                """);
            create.ExecuteNonQuery();
        }
        if (version < 2)
        {
            // Version 2: one row per subject with work (pending or in flight), so finding the next claimable
            // subject no longer scans every queued delivery. Built from the deliveries of a version 1 file.
            using var subjects = Command(connection, transaction, """
                CREATE TABLE subjects (
                  subject TEXT PRIMARY KEY,
                  next_due INTEGER NULL,
                  first_id INTEGER NULL, -- the oldest unfinished delivery: subjects are served oldest first
                  lease_owner TEXT NULL,
                  lease_until INTEGER NULL
                ) WITHOUT ROWID;
                INSERT INTO subjects (subject, next_due, first_id, lease_owner, lease_until)
                  SELECT subject,
                         MIN(CASE WHEN status = 'pending' THEN next_attempt_at END),
                         MIN(id),
                         MAX(CASE WHEN status = 'processing' THEN lease_owner END),
                         MAX(CASE WHEN status = 'processing' THEN lease_until END)
                  FROM deliveries WHERE status IN ('pending', 'processing') GROUP BY subject;
                DROP INDEX IF EXISTS ix_deliveries_pending;
                DROP INDEX IF EXISTS ix_deliveries_leased;
                PRAGMA user_version = 2;
                """);
            subjects.ExecuteNonQuery();
        }
        // The bot state's and the sweep's tables are not versioned: files of every version may already have them (their
        // stores once created them on their own), and their shape never changed.
        using (var state = Command(connection, transaction, """
            CREATE TABLE IF NOT EXISTS bot_state (
              key TEXT PRIMARY KEY NOT NULL,
              value TEXT NOT NULL,
              updated_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS sweep_projects (project_id INTEGER PRIMARY KEY);
            CREATE TABLE IF NOT EXISTS sweep_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            -- A delivery's body in a row of its own, written once: SQLite rewrites a whole row (overflow pages included)
            -- on every UPDATE that changes its size, so a body kept in deliveries was copied again by the claim and by
            -- the completion. deliveries.body stays, empty for new rows (older rows keep theirs, read as before).
            CREATE TABLE IF NOT EXISTS delivery_bodies (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
            CREATE TRIGGER IF NOT EXISTS delivery_bodies_follow AFTER DELETE ON deliveries
              BEGIN DELETE FROM delivery_bodies WHERE id = old.id; END;
            """))
        {
            state.ExecuteNonQuery();
        }
        AddTraceParentColumn(connection, transaction);
        using (var decisions = Command(connection, transaction, SqliteDecisionLog.SchemaSql))
        {
            decisions.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>
    /// The webhook request's W3C traceparent, so the worker continues its trace. Nullable and added when missing rather
    /// than by a schema version: older files gain it, and older builds reading a newer file ignore it.
    /// </summary>
    private static void AddTraceParentColumn(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var has = Command(connection, transaction, "SELECT COUNT(*) FROM pragma_table_info('deliveries') WHERE name = 'trace_parent'");
        if ((long)has.ExecuteScalar()! == 0)
        {
            using var add = Command(connection, transaction, "ALTER TABLE deliveries ADD COLUMN trace_parent TEXT NULL");
            add.ExecuteNonQuery();
        }
    }

    /// <summary>A store's write that runs in a savepoint of the group commit; its caller gets the result after the commit.</summary>
    private sealed class SavepointWrite<T>(string what, Func<SqliteConnection, SqliteTransaction, long, T> work) : SqliteWrite
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private Exception? _failure;

        public Task<T> Task => _done.Task;

        public override int Execute(SqliteWriteSession session)
        {
            // A failing write is undone alone; the other writes of the commit stand.
            var transaction = session.Transaction;
            transaction.Save("op");
            try
            {
                _result = work(session.Connection, transaction, session.Now);
                transaction.Release("op");
            }
            catch (Exception e)
            {
                try
                {
                    transaction.Rollback("op");
                    transaction.Release("op");
                }
                catch (InvalidOperationException) when (e is SqliteException)
                {
                    // SQLite rolled the whole transaction back itself (SQLITE_FULL does): the group commit fails, with
                    // this write's reason rather than "the transaction has completed".
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
                }
                _failure = e is SqliteException ? new InboxUnavailableException($"The {what} is unavailable: {e.Message}", e) : e;
            }
            return 0;
        }

        public override void Committed()
        {
            if (_failure is not null)
            {
                _done.TrySetException(_failure);
            }
            else
            {
                _done.TrySetResult(_result!);
            }
        }

        public override void TrySetFailure(Exception failure) => _done.TrySetException(failure);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2101, Level = LogLevel.Error, Message = "Inbox group commit of {Count} deliveries failed; their requests are answered 503")]
        public static partial void GroupCommitFailed(ILogger logger, int count, Exception exception);

        [LoggerMessage(EventId = 2141, Level = LogLevel.Information, Message = "Inbox commits succeed again after a failure")]
        public static partial void WritesRecovered(ILogger logger);

        [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Inbox WAL checkpoint failed; the next one retries")]
        public static partial void CheckpointFailed(ILogger logger, Exception exception);
    }
}

/// <summary>Something the writer of a <see cref="SqliteDatabase"/> does inside a group commit.</summary>
internal abstract class SqliteWrite
{
    /// <summary>Runs inside the commit's transaction; returns how many new deliveries it added (they wake the workers).</summary>
    public abstract int Execute(SqliteWriteSession session);

    /// <summary>The bytes of payload this write adds (a delivery's body): what a probe after a failed commit must be able to write.</summary>
    public virtual long Bytes => 0;

    /// <summary>The commit carrying this write is durable: hand the caller its result.</summary>
    public abstract void Committed();

    public abstract void TrySetFailure(Exception failure);
}

/// <summary>
/// The writer's connection, the transaction and time of the group commit in progress, and the statements the stores
/// prepared on the connection (reused for every write until the connection is replaced after a failure).
/// </summary>
internal sealed class SqliteWriteSession(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<Type, IDisposable> _prepared = [];
    private SqliteTransaction? _transaction;

    // Unknown at first: a pooled connection may still carry the cap of an earlier session.
    private long _maxPages = -1;

    public SqliteConnection Connection { get; } = connection;

    public SqliteTransaction Transaction => _transaction ?? throw new InvalidOperationException("No group commit is in progress.");

    /// <summary>The time of the group commit, in Unix milliseconds.</summary>
    public long Now { get; private set; }

    /// <summary>The statements of type <typeparamref name="T"/> on this connection, prepared on first use.</summary>
    public T Prepared<T>(Func<SqliteConnection, T> prepare)
        where T : class, IDisposable
    {
        if (!_prepared.TryGetValue(typeof(T), out var statements))
        {
            statements = prepare(Connection);
            _prepared.Add(typeof(T), statements);
        }
        return (T)statements;
    }

    /// <summary>Applies <see cref="SqliteDatabase.MaxPageCount"/> when it changed (0: SQLite's own maximum).</summary>
    public void LimitPages(long maxPages)
    {
        if (maxPages == _maxPages)
        {
            return;
        }
        using var pragma = Connection.CreateCommand();
        // SQLite keeps the larger of this and the file's current size; its own maximum is 4294967294 pages.
        pragma.CommandText = $"PRAGMA max_page_count = {(maxPages > 0 ? maxPages : 4294967294L)};";
        pragma.ExecuteNonQuery();
        _maxPages = maxPages;
    }

    /// <summary>Runs the writes of the batch in one transaction; returns how many new deliveries they added.</summary>
    public int Commit(List<SqliteWrite> batch, long now)
    {
        using var transaction = Connection.BeginTransaction(deferred: false);
        _transaction = transaction;
        Now = now;
        try
        {
            var added = 0;
            for (var i = 0; i < batch.Count; i++)
            {
                added += batch[i].Execute(this);
            }
            transaction.Commit();
            return added;
        }
        finally
        {
            _transaction = null;
        }
    }

    public void Dispose()
    {
        foreach (var statements in _prepared.Values)
        {
            statements.Dispose();
        }
        _prepared.Clear();
        Connection.Dispose();
    }
}
