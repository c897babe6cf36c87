using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;
using GitLabMrBot.Storage.Postgres;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using static GitLabMrBot.Storage.DeliveryRows;

namespace GitLabMrBot.Storage.Sqlite;

/// <summary>
/// The embedded inbox: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a delivery is on disk
/// before its 202. Every write goes through one writer thread: appends are group-committed (callers queue, the
/// writer drains the queue into one transaction, one fsync for many requests, then answers every caller), and the
/// worker's claims, renewals, completions and failures ride the same commits in savepoints, so nothing ever waits
/// for SQLite's write lock. Reads (finding work, listing) use pooled reader connections, which WAL never blocks.
/// A <c>subjects</c> table keeps one row per subject with work, so finding claimable work costs the same however
/// many deliveries are queued behind a subject in flight.
/// Times are stored as Unix milliseconds from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class SqliteInboxStore : IInboxStore, IAsyncDisposable, IDisposable
{
    /// <summary>Bumped by each schema change; <c>PRAGMA user_version</c> records what the file has.</summary>
    internal const int SchemaVersion = 2;

    /// <summary>Most appends committed in one transaction: bounds the time one commit holds the write lock.</summary>
    internal const int MaxGroupCommit = 512;

    /// <summary>Most deliveries of one subject claimed at once: bounds the memory of one batch.</summary>
    internal const int MaxClaim = 500;

    /// <summary>Appends committed between two checkpoints of the WAL into the database file.</summary>
    private const int CheckpointEvery = 2000;



    // The claimable subject whose oldest waiting delivery is oldest: due pending deliveries and no live lease,
    // or a lease that expired. One row per subject with work, so this costs the same with 10 or 100,000
    // deliveries queued behind a subject in flight (a per-delivery scan here made bursts quadratic).
    private const string CandidateSql = """
        SELECT subject FROM subjects
        WHERE (lease_until IS NULL AND next_due <= $now) OR lease_until < $now
        ORDER BY first_id LIMIT 1
        """;

    // After any change to a subject's deliveries: what is left pending, and when it is due.
    private const string RefreshSubjectSql = """
        UPDATE subjects SET
          next_due = (SELECT MIN(next_attempt_at) FROM deliveries WHERE subject = $subject AND status = 'pending'),
          first_id = (SELECT MIN(id) FROM deliveries WHERE subject = $subject AND status IN ('pending', 'processing'))
        WHERE subject = $subject;
        DELETE FROM subjects WHERE subject = $subject AND next_due IS NULL AND lease_owner IS NULL;
        """;

    // Claims every due delivery of one subject: this is where deliveries of one MR coalesce into one evaluation.
    private const string ClaimSql = $"""
        UPDATE deliveries SET status = 'processing', lease_owner = $owner, lease_until = $until,
          -- A delivery taken again after its lease expired had an attempt that never finished (the process stopped
          -- or hung): it counts, so a payload that kills the process ends as a dead letter instead of looping.
          attempts = attempts + CASE WHEN status = 'processing' THEN 1 ELSE 0 END,
          last_error = CASE WHEN status = 'processing' THEN '{LeaseExpiredError}' ELSE last_error END
        WHERE id IN (
          SELECT id FROM (
            SELECT id FROM deliveries WHERE subject = $subject AND status = 'pending' AND next_attempt_at <= $now
            UNION ALL
            SELECT id FROM deliveries WHERE subject = $subject AND status = 'processing' AND lease_until < $now)
          ORDER BY id LIMIT $cap)
        RETURNING id
        """;

    // Only rows the batch's owner still holds: a batch whose lease was lost must not touch its successor's work.
    private const string OwnedRows =
        "lease_owner = $owner AND status = 'processing' AND id IN (SELECT value FROM json_each($ids))";

    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly InboxSignal? _signal;
    private readonly ILogger _logger;
    private readonly Channel<WriteRequest> _appends;
    private readonly Task _writer;
    private readonly Channel<bool> _checkpoints;
    private readonly Task _checkpointer;
    private int _disposed;

    public SqliteInboxStore(string path, TimeProvider time, InboxSignal? signal = null, ILogger<SqliteInboxStore>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _time = time;
        _signal = signal;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
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

        _appends = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true });
        _checkpoints = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        _checkpointer = Task.Run(CheckpointLoopAsync);
        // Its own thread: every commit blocks in fsync, and a thread-pool thread blocked there is one Kestrel lacks
        // (on 2 cores the pool starts with 2 and adds more only slowly: requests then stall for hundreds of ms).
        _writer = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>The full path of the database file.</summary>
    public string Path { get; }

    public Task<AppendResult> AppendAsync(NewDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        // Checked here, per caller: a bad delivery inside a group commit would fail every other caller's request.
        ArgumentException.ThrowIfNullOrEmpty(delivery.DedupeKey, nameof(delivery));
        ArgumentException.ThrowIfNullOrEmpty(delivery.Event, nameof(delivery));
        ArgumentException.ThrowIfNullOrEmpty(delivery.Subject, nameof(delivery));
        cancellationToken.ThrowIfCancellationRequested();

        var pending = new PendingAppend(delivery);
        if (!_appends.Writer.TryWrite(pending))
        {
            throw new InboxUnavailableException("The inbox is shut down.");
        }
        // A cancelled caller stops waiting, but its delivery may still commit: a retry then sees a duplicate.
        return cancellationToken.CanBeCanceled ? pending.Task.WaitAsync(cancellationToken) : pending.Task;
    }

    public async Task<ClaimedBatch?> ClaimNextAsync(string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        cancellationToken.ThrowIfCancellationRequested();
        // Look first on a reader connection (WAL readers never wait for the writer), so idle loops woken by
        // every commit cost almost nothing when nothing is claimable; only then queue the claim for the writer.
        if (Run(connection => FindCandidate(connection, null, Now())) is null)
        {
            return null;
        }
        var claimed = await Write<(string Subject, List<long> Ids)?>((connection, transaction, now) =>
        {
            var subject = FindCandidate(connection, transaction, now);
            if (subject is null)
            {
                return null;
            }

            using var claim = Command(connection, transaction, ClaimSql);
            claim.Parameters.AddWithValue("$owner", owner);
            claim.Parameters.AddWithValue("$until", now + (long)lease.TotalMilliseconds);
            claim.Parameters.AddWithValue("$subject", subject);
            claim.Parameters.AddWithValue("$now", now);
            claim.Parameters.AddWithValue("$cap", MaxClaim);
            var ids = new List<long>();
            using (var rows = claim.ExecuteReader())
            {
                while (rows.Read())
                {
                    ids.Add(rows.GetInt64(0));
                }
            }
            using (var hold = Command(connection, transaction, """
                UPDATE subjects SET lease_owner = CASE WHEN $claimed > 0 THEN $owner END, lease_until = CASE WHEN $claimed > 0 THEN $until END
                WHERE subject = $subject;
                """ + RefreshSubjectSql))
            {
                hold.Parameters.AddWithValue("$owner", owner);
                hold.Parameters.AddWithValue("$until", now + (long)lease.TotalMilliseconds);
                hold.Parameters.AddWithValue("$subject", subject);
                hold.Parameters.AddWithValue("$claimed", ids.Count);
                hold.ExecuteNonQuery();
            }
            return ids.Count == 0 ? null : (Subject: subject, Ids: ids);
        }).ConfigureAwait(false);
        if (claimed is not { } batch)
        {
            return null;
        }

        // The bodies are read after the commit, on a reader connection: the writer (and every append queued behind
        // it) never waits for megabytes of payloads. The rows are ours now, so nothing changes them meanwhile.
        var deliveries = Run(connection =>
        {
            using var read = Command(connection, null, $"SELECT {Columns} FROM deliveries WHERE id IN (SELECT value FROM json_each($ids)) ORDER BY id");
            read.Parameters.AddWithValue("$ids", "[" + string.Join(',', batch.Ids) + "]");
            return ReadDeliveries(read);
        });
        return new ClaimedBatch(owner, batch.Subject, deliveries);
    }

    public Task<bool> RenewLeaseAsync(ClaimedBatch batch, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        return Write((connection, transaction, now) =>
        {
            using var renew = Command(connection, transaction, $"UPDATE deliveries SET lease_until = $until WHERE {OwnedRows}");
            AddOwnedRows(renew, batch);
            renew.Parameters.AddWithValue("$until", now + (long)lease.TotalMilliseconds);
            var renewed = renew.ExecuteNonQuery() > 0;
            using var subject = Command(connection, transaction, "UPDATE subjects SET lease_until = $until WHERE subject = $subject AND lease_owner = $owner");
            subject.Parameters.AddWithValue("$until", now + (long)lease.TotalMilliseconds);
            subject.Parameters.AddWithValue("$subject", batch.Subject);
            subject.Parameters.AddWithValue("$owner", batch.Owner);
            subject.ExecuteNonQuery();
            return renewed;
        });
    }

    public async Task CompleteAsync(ClaimedBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        var changed = await Write((connection, transaction, now) =>
        {
            using var complete = Command(connection, transaction,
                $"UPDATE deliveries SET status = 'done', completed_at = $now, lease_owner = NULL, lease_until = NULL WHERE {OwnedRows}");
            AddOwnedRows(complete, batch);
            complete.Parameters.AddWithValue("$now", now);
            var changed = complete.ExecuteNonQuery();
            ReleaseSubject(connection, transaction, batch);
            return changed;
        }).ConfigureAwait(false);
        if (changed < batch.Deliveries.Count)
        {
            Log.LeaseLost(_logger, batch.Subject, batch.Deliveries.Count - changed, "complete");
        }
        _signal?.Pulse();
    }

    public async Task FailAsync(ClaimedBatch batch, string error, DateTimeOffset? retryAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        var changed = await Write((connection, transaction, now) =>
        {
            using var fail = Command(connection, transaction, $"""
                UPDATE deliveries SET attempts = attempts + 1, last_error = $error,
                  status = CASE WHEN $retry IS NULL THEN 'dead' ELSE 'pending' END,
                  next_attempt_at = COALESCE($retry, next_attempt_at),
                  completed_at = CASE WHEN $retry IS NULL THEN $now ELSE NULL END,
                  lease_owner = NULL, lease_until = NULL
                WHERE {OwnedRows}
                """);
            AddOwnedRows(fail, batch);
            fail.Parameters.AddWithValue("$error", Truncate(error));
            fail.Parameters.AddWithValue("$retry", retryAt is { } at ? at.ToUnixTimeMilliseconds() : DBNull.Value);
            fail.Parameters.AddWithValue("$now", now);
            var changed = fail.ExecuteNonQuery();
            ReleaseSubject(connection, transaction, batch);
            return changed;
        }).ConfigureAwait(false);
        if (changed < batch.Deliveries.Count)
        {
            Log.LeaseLost(_logger, batch.Subject, batch.Deliveries.Count - changed, "fail");
        }
        _signal?.Pulse();
    }

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Run<DateTimeOffset?>(connection =>
        {
            // A subject in flight becomes claimable when its lease expires (or sooner, when its batch completes
            // and pulses the signal); any other subject when its next pending delivery is due.
            using var next = Command(connection, null, "SELECT MIN(CASE WHEN lease_until IS NOT NULL THEN lease_until ELSE next_due END) FROM subjects");
            return next.ExecuteScalar() is long at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null;
        }));
    }

    public async Task<int> PruneAsync(DateTimeOffset completedBefore, CancellationToken cancellationToken)
    {
        // In chunks, each its own write, so a large prune never holds up the appends queued behind it for long.
        var total = 0;
        int deleted;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            deleted = await Write((connection, transaction, _) =>
            {
                using var prune = Command(connection, transaction, """
                    DELETE FROM deliveries WHERE id IN (
                      SELECT id FROM deliveries INDEXED BY ix_deliveries_done
                      WHERE status = 'done' AND completed_at < $before LIMIT $chunk)
                    """);
                prune.Parameters.AddWithValue("$before", completedBefore.ToUnixTimeMilliseconds());
                prune.Parameters.AddWithValue("$chunk", PruneChunk);
                return prune.ExecuteNonQuery();
            }).ConfigureAwait(false);
            total += deleted;
        }
        while (deleted == PruneChunk);
        return total;
    }

    public Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var connection = Open();
            using var ping = Command(connection, null, "SELECT COUNT(*) FROM deliveries WHERE 0");
            ping.ExecuteScalar();
            return Task.FromResult(Volatile.Read(ref _disposed) == 0 && !_writer.IsCompleted);
        }
        catch (SqliteException)
        {
            return Task.FromResult(false);
        }
    }

    public Task<IReadOnlyList<StoredDelivery>> ListAsync(DeliveryStatus? status, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<StoredDelivery>>(Run(connection =>
        {
            using var list = Command(connection, null,
                status is null
                    ? $"SELECT {Columns} FROM deliveries ORDER BY id"
                    : $"SELECT {Columns} FROM deliveries WHERE status = $status ORDER BY id");
            if (status is { } s)
            {
                list.Parameters.AddWithValue("$status", StatusText(s));
            }
            return ReadDeliveries(list);
        }));
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        // Appends already queued are still committed: their callers are waiting for an answer.
        _appends.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        _checkpoints.Writer.TryComplete();
        await _checkpointer.ConfigureAwait(false);
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void WriteLoop()
    {
        var reader = _appends.Reader;
        var batch = new List<WriteRequest>(MaxGroupCommit);
        AppendWriter? writer = null;
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
                    writer ??= new AppendWriter(Open(appendWriter: true));
                    var appended = writer.Commit(batch, Now());
                    // Workers are woken first: by the time a caller sees its answer, they are already looking.
                    if (appended > 0)
                    {
                        _signal?.Pulse();
                    }
                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i].Committed();
                    }
                    sinceCheckpoint += appended;
                    if (sinceCheckpoint >= CheckpointEvery)
                    {
                        sinceCheckpoint = 0;
                        _checkpoints.Writer.TryWrite(true);
                    }
                }
                catch (Exception e)
                {
                    Log.GroupCommitFailed(_logger, batch.Count, e);
                    var failure = new InboxUnavailableException("The inbox could not commit the delivery.", e);
                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i].TrySetFailure(failure);
                    }
                    // The connection may be broken (disk gone, file replaced): start afresh with the next batch.
                    writer?.Dispose();
                    writer = null;
                }
                batch.Clear();
            }
        }
        finally
        {
            writer?.Dispose();
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

    /// <summary>The batch's owner lets go of its subject: what is left pending decides when it is claimable again.</summary>
    private static void ReleaseSubject(SqliteConnection connection, SqliteTransaction transaction, ClaimedBatch batch)
    {
        using var release = Command(connection, transaction, """
            UPDATE subjects SET lease_owner = NULL, lease_until = NULL WHERE subject = $subject AND lease_owner = $owner;
            """ + RefreshSubjectSql);
        release.Parameters.AddWithValue("$subject", batch.Subject);
        release.Parameters.AddWithValue("$owner", batch.Owner);
        release.ExecuteNonQuery();
    }

    private static string? FindCandidate(SqliteConnection connection, SqliteTransaction? transaction, long now)
    {
        using var find = Command(connection, transaction, CandidateSql);
        find.Parameters.AddWithValue("$now", now);
        return find.ExecuteScalar() as string;
    }

    private static List<StoredDelivery> ReadDeliveries(SqliteCommand command)
    {
        var deliveries = new List<StoredDelivery>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            deliveries.Add(new StoredDelivery(
                Id: reader.GetInt64(0).ToString(CultureInfo.InvariantCulture),
                DedupeKey: reader.GetString(1),
                Event: reader.GetString(2),
                Subject: reader.GetString(3),
                EventUuid: reader.IsDBNull(4) ? null : reader.GetString(4),
                ReceivedAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
                Body: reader.GetFieldValue<byte[]>(6),
                Status: ParseStatus(reader.GetString(7)),
                Attempts: reader.GetInt32(8),
                NextAttemptAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(9)),
                LastError: reader.IsDBNull(10) ? null : reader.GetString(10)));
        }
        return deliveries;
    }

    private static void AddOwnedRows(SqliteCommand command, ClaimedBatch batch)
    {
        var ids = new StringBuilder("[");
        foreach (var delivery in batch.Deliveries)
        {
            // Ids from elsewhere (another provider, a typo in a test) simply match nothing.
            if (long.TryParse(delivery.Id, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                ids.Append(ids.Length > 1 ? "," : "").Append(id);
            }
        }
        command.Parameters.AddWithValue("$ids", ids.Append(']').ToString());
        command.Parameters.AddWithValue("$owner", batch.Owner);
    }

    /// <summary>
    /// Queues a write for the one writer, which runs it inside its next group commit: worker bookkeeping never
    /// contends with appends for SQLite's write lock (a busy writer sleeps in steps of up to 100 ms), and rides
    /// on the commit's fsync instead of paying its own. The result is handed out only once that commit is durable.
    /// </summary>
    private Task<T> Write<T>(Func<SqliteConnection, SqliteTransaction, long, T> work)
    {
        var request = new WriteOp<T>(work);
        if (!_appends.Writer.TryWrite(request))
        {
            throw new InboxUnavailableException("The inbox is shut down.");
        }
        return request.Task;
    }

    private T Run<T>(Func<SqliteConnection, T> work)
    {
        try
        {
            using var connection = Open();
            return work(connection);
        }
        catch (SqliteException e)
        {
            throw new InboxUnavailableException($"The inbox is unavailable: {e.Message}", e);
        }
    }

    private SqliteConnection Open(bool appendWriter = false)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            // Per connection (not stored in the file). The writer uses FULL: the WAL is synced at every commit, so a
            // 202 survives power loss; every write (appends and the worker's bookkeeping) goes through it. Other
            // connections only read, checkpoint or create the schema.
            // The writer never checkpoints itself (copying the WAL into the file and syncing it would stall every
            // waiting request): it hands that to the checkpointer task instead.
            using var pragmas = Command(connection, null, appendWriter
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
        transaction.Commit();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Something the writer does inside a group commit; its caller hears of it only after the commit.</summary>
    private abstract class WriteRequest
    {
        /// <summary>The commit carrying this request is durable: hand the caller its result.</summary>
        public abstract void Committed();

        public abstract void TrySetFailure(Exception failure);
    }

    /// <summary>One caller waiting for the group commit that carries its delivery.</summary>
    private sealed class PendingAppend(NewDelivery delivery) : WriteRequest
    {
        private readonly TaskCompletionSource<AppendResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public NewDelivery Delivery { get; } = delivery;

        public Task<AppendResult> Task => _done.Task;

        /// <summary>Known once inserted, handed to the caller only once the transaction committed.</summary>
        public AppendResult? Result { get; set; }

        public override void Committed() => _done.TrySetResult(Result!);

        public override void TrySetFailure(Exception failure) => _done.TrySetException(failure);
    }

    /// <summary>A worker's write (claim, renew, complete, fail, prune), run in its own savepoint of the group commit.</summary>
    private abstract class WriteOp : WriteRequest
    {
        public abstract void Execute(SqliteConnection connection, SqliteTransaction transaction, long now);
    }

    private sealed class WriteOp<T>(Func<SqliteConnection, SqliteTransaction, long, T> work) : WriteOp
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private Exception? _failure;

        public Task<T> Task => _done.Task;

        public override void Execute(SqliteConnection connection, SqliteTransaction transaction, long now)
        {
            // A failing write is undone alone; the appends and other writes of the commit stand.
            transaction.Save("op");
            try
            {
                _result = work(connection, transaction, now);
                transaction.Release("op");
            }
            catch (Exception e)
            {
                transaction.Rollback("op");
                transaction.Release("op");
                _failure = e is SqliteException ? new InboxUnavailableException($"The inbox is unavailable: {e.Message}", e) : e;
            }
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

    /// <summary>The writer's own connection with its two statements prepared once and reused for every append.</summary>
    private sealed class AppendWriter : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _existing;
        private readonly SqliteParameter _key;
        private readonly SqliteParameter _event;
        private readonly SqliteParameter _subject;
        private readonly SqliteParameter _uuid;
        private readonly SqliteParameter _receivedAt;
        private readonly SqliteParameter _body;
        private readonly SqliteParameter _now;
        private readonly SqliteParameter _due;
        private readonly SqliteParameter _existingKey;
        private readonly SqliteCommand _subjectUpsert;
        private readonly SqliteParameter _upsertSubject;
        private readonly SqliteParameter _upsertDue;
        private readonly SqliteParameter _upsertId;

        public AppendWriter(SqliteConnection connection)
        {
            _connection = connection;
            _insert = Command(connection, null, """
                INSERT INTO deliveries (dedupe_key, event, subject, event_uuid, received_at, body, status, attempts, next_attempt_at)
                VALUES ($key, $event, $subject, $uuid, $received, $body, 'pending', 0, COALESCE($due, $now))
                ON CONFLICT (dedupe_key) DO NOTHING
                RETURNING id
                """);
            _key = _insert.Parameters.Add("$key", SqliteType.Text);
            _event = _insert.Parameters.Add("$event", SqliteType.Text);
            _subject = _insert.Parameters.Add("$subject", SqliteType.Text);
            _uuid = _insert.Parameters.Add("$uuid", SqliteType.Text);
            _receivedAt = _insert.Parameters.Add("$received", SqliteType.Integer);
            _body = _insert.Parameters.Add("$body", SqliteType.Blob);
            _now = _insert.Parameters.Add("$now", SqliteType.Integer);
            _due = _insert.Parameters.Add("$due", SqliteType.Integer);
            _existing = Command(connection, null, "SELECT id FROM deliveries WHERE dedupe_key = $key");
            _existingKey = _existing.Parameters.Add("$key", SqliteType.Text);
            _subjectUpsert = Command(connection, null, """
                INSERT INTO subjects (subject, next_due, first_id) VALUES ($subject, $due, $id)
                ON CONFLICT (subject) DO UPDATE SET
                  next_due = MIN(COALESCE(next_due, excluded.next_due), excluded.next_due),
                  first_id = COALESCE(first_id, excluded.first_id)
                """);
            _upsertSubject = _subjectUpsert.Parameters.Add("$subject", SqliteType.Text);
            _upsertDue = _subjectUpsert.Parameters.Add("$due", SqliteType.Integer);
            _upsertId = _subjectUpsert.Parameters.Add("$id", SqliteType.Integer);
        }

        /// <summary>Inserts the appends and runs the writes of the batch in one transaction; returns how many deliveries were new.</summary>
        public int Commit(List<WriteRequest> batch, long now)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            _insert.Transaction = transaction;
            _existing.Transaction = transaction;
            _subjectUpsert.Transaction = transaction;
            _now.Value = now;
            var added = 0;
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch[i] is WriteOp op)
                {
                    op.Execute(_connection, transaction, now);
                    continue;
                }
                var pending = (PendingAppend)batch[i];
                var delivery = pending.Delivery;
                _key.Value = delivery.DedupeKey;
                _event.Value = delivery.Event;
                _subject.Value = delivery.Subject;
                _uuid.Value = (object?)delivery.EventUuid ?? DBNull.Value;
                _receivedAt.Value = delivery.ReceivedAt.ToUnixTimeMilliseconds();
                _body.Value = AsArray(delivery.Body);
                _due.Value = delivery.NotBefore is { } due ? due.ToUnixTimeMilliseconds() : DBNull.Value;
                if (_insert.ExecuteScalar() is long id)
                {
                    _upsertSubject.Value = delivery.Subject;
                    _upsertDue.Value = delivery.NotBefore is { } notBefore ? notBefore.ToUnixTimeMilliseconds() : now;
                    _upsertId.Value = id;
                    _subjectUpsert.ExecuteNonQuery();
                    pending.Result = new AppendResult(id.ToString(CultureInfo.InvariantCulture), Duplicate: false);
                    added++;
                }
                else
                {
                    // The key is already stored, earlier or by an earlier caller of this same batch.
                    _existingKey.Value = delivery.DedupeKey;
                    var existing = (long)_existing.ExecuteScalar()!;
                    pending.Result = new AppendResult(existing.ToString(CultureInfo.InvariantCulture), Duplicate: true);
                }
            }
            transaction.Commit();
            return added;
        }

        public void Dispose()
        {
            _insert.Dispose();
            _existing.Dispose();
            _subjectUpsert.Dispose();
            _connection.Dispose();
        }

        // Avoids a copy when the caller's memory is a whole array (the usual case: a buffered request body).
        private static byte[] AsArray(ReadOnlyMemory<byte> body) =>
            MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
                ? segment.Array
                : body.ToArray();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "Inbox group commit of {Count} deliveries failed; their requests are answered 503")]
        public static partial void GroupCommitFailed(ILogger logger, int count, Exception exception);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Inbox {Action} of subject {Subject} skipped {Count} deliveries: the lease was lost to another worker")]
        public static partial void LeaseLost(ILogger logger, string subject, int count, string action);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Inbox WAL checkpoint failed; the next one retries")]
        public static partial void CheckpointFailed(ILogger logger, Exception exception);
    }
}
