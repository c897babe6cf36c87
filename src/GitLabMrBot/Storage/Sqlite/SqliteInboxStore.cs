using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using GitLabMrBot.Inbox;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using static GitLabMrBot.Storage.DeliveryRows;

namespace GitLabMrBot.Storage.Sqlite;

/// <summary>
/// The embedded inbox, a view on the bot's <see cref="SqliteDatabase"/>: every write goes through the database's one
/// writer thread. Appends are group-committed (callers queue, the writer drains the queue into one transaction, one
/// fsync for many requests, then answers every caller), and the worker's claims, renewals, completions and failures
/// ride the same commits in savepoints, so nothing ever waits for SQLite's write lock. Reads (finding work, listing)
/// use pooled reader connections, which WAL never blocks.
/// A <c>subjects</c> table keeps one row per subject with work, so finding claimable work costs the same however
/// many deliveries are queued behind a subject in flight.
/// </summary>
public sealed partial class SqliteInboxStore : IInboxStore, IInboxWriteHealth, IAsyncDisposable, IDisposable
{
    /// <summary>The schema version of the file (see <see cref="SqliteDatabase"/>, which owns the schema).</summary>
    internal const int SchemaVersion = SqliteDatabase.SchemaVersion;

    /// <summary>Most deliveries of one subject claimed at once: bounds the memory of one batch.</summary>
    internal const int MaxClaim = 500;

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

    private const string What = "inbox";

    // A delivery with its body, wherever the body is: in delivery_bodies (written once, see SqliteDatabase), or inline
    // in deliveries for rows stored before that table existed. Columns in DeliveryRows.Columns order.
    private const string WithBodies = """
        d.id, d.dedupe_key, d.event, d.subject, d.event_uuid, d.received_at, COALESCE(b.body, d.body) AS body,
        d.status, d.attempts, d.next_attempt_at, d.last_error, d.trace_parent
        FROM deliveries d LEFT JOIN delivery_bodies b ON b.id = d.id
        """;

    private readonly SqliteDatabase _database;
    private readonly bool _ownsDatabase;
    private readonly ILogger _logger;

    /// <summary>An inbox with a database of its own on <paramref name="path"/> (tools and tests; the bot shares one, see <c>AddStorage</c>).</summary>
    public SqliteInboxStore(string path, TimeProvider time, InboxSignal? signal = null, ILogger<SqliteInboxStore>? logger = null)
        : this(new SqliteDatabase(path, time, signal, logger), logger, ownsDatabase: true)
    {
    }

    /// <summary>The inbox of <paramref name="database"/>, which stays open when this is disposed.</summary>
    public SqliteInboxStore(SqliteDatabase database, ILogger<SqliteInboxStore>? logger = null)
        : this(database, logger, ownsDatabase: false)
    {
    }

    private SqliteInboxStore(SqliteDatabase database, ILogger? logger, bool ownsDatabase)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _ownsDatabase = ownsDatabase;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The full path of the database file.</summary>
    public string Path => _database.Path;

    /// <summary>The database this inbox is a view on.</summary>
    internal SqliteDatabase Database => _database;

    public Task<AppendResult> AppendAsync(NewDelivery delivery, CancellationToken cancellationToken)
    {
        DeliveryRows.Validate(delivery);
        cancellationToken.ThrowIfCancellationRequested();

        var pending = new PendingAppend(delivery);
        _database.Enqueue(pending);
        // A cancelled caller stops waiting, but its delivery may still commit: a retry then sees a duplicate.
        return cancellationToken.CanBeCanceled ? pending.Task.WaitAsync(cancellationToken) : pending.Task;
    }

    public async Task<ClaimedBatch?> ClaimNextAsync(string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        cancellationToken.ThrowIfCancellationRequested();
        // Look first on a reader connection (WAL readers never wait for the writer), so idle loops woken by
        // every commit cost almost nothing when nothing is claimable; only then queue the claim for the writer.
        if (Read(connection => FindCandidate(connection, null, _database.Now())) is null)
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
        var deliveries = Read(connection =>
        {
            using var read = Command(connection, null, $"SELECT {WithBodies} WHERE d.id IN (SELECT value FROM json_each($ids)) ORDER BY d.id");
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

    public async Task ReleaseAsync(ClaimedBatch batch, DateTimeOffset dueAt, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        var changed = await Write((connection, transaction, _) =>
        {
            using var release = Command(connection, transaction, $"""
                UPDATE deliveries SET status = 'pending', next_attempt_at = $due, last_error = COALESCE($reason, last_error),
                  lease_owner = NULL, lease_until = NULL
                WHERE {OwnedRows}
                """);
            AddOwnedRows(release, batch);
            release.Parameters.AddWithValue("$due", dueAt.ToUnixTimeMilliseconds());
            release.Parameters.AddWithValue("$reason", reason is null ? DBNull.Value : Truncate(reason));
            var changed = release.ExecuteNonQuery();
            ReleaseSubject(connection, transaction, batch);
            return changed;
        }).ConfigureAwait(false);
        if (changed < batch.Deliveries.Count)
        {
            Log.LeaseLost(_logger, batch.Subject, batch.Deliveries.Count - changed, "release");
        }
        _database.Signal?.Pulse();
    }

    public async Task<int> ExpireOrphanedClaimsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // One process owns the file (see SqliteDatabase) and its worker calls this before its first claim: every claim
        // in the file is a dead process's. Expired rather than released, so the next claim counts the lost attempt.
        // The owner is the process holding the file's worker lock: while another live bot holds it (two started on one
        // file by mistake), its claims are left to their leases.
        if (!_database.TryHoldWorkerLock())
        {
            Log.WorkerLockHeld(_logger, _database.Path);
            return 0;
        }
        var freed = await Write((connection, transaction, now) =>
        {
            using var expire = Command(connection, transaction, """
                UPDATE deliveries SET lease_until = $past WHERE status = 'processing' AND lease_until >= $now;
                """);
            expire.Parameters.AddWithValue("$past", now - 1);
            expire.Parameters.AddWithValue("$now", now);
            var freed = expire.ExecuteNonQuery();
            using var subjects = Command(connection, transaction, "UPDATE subjects SET lease_until = $past WHERE lease_until >= $now");
            subjects.Parameters.AddWithValue("$past", now - 1);
            subjects.Parameters.AddWithValue("$now", now);
            subjects.ExecuteNonQuery();
            return freed;
        }).ConfigureAwait(false);
        if (freed > 0)
        {
            _database.Signal?.Pulse();
        }
        return freed;
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
        _database.Signal?.Pulse();
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
        _database.Signal?.Pulse();
    }

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read<DateTimeOffset?>(connection =>
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

    /// <summary>Null while commits succeed; after a failed commit, a probe write tells whether the store writes again.</summary>
    public async Task<string?> WriteProblemAsync(CancellationToken cancellationToken)
    {
        if (_database.WriteFailure is null)
        {
            return null;
        }
        return await _database.ProbeWriteAsync().WaitAsync(cancellationToken).ConfigureAwait(false) is { } failure
            ? $"the store cannot write: {failure}"
            : null;
    }

    public Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var connection = _database.Open();
            using var ping = Command(connection, null, "SELECT COUNT(*) FROM deliveries WHERE 0");
            ping.ExecuteScalar();
            return Task.FromResult(_database.IsWritable);
        }
        catch (SqliteException)
        {
            return Task.FromResult(false);
        }
    }

    public Task<IReadOnlyList<StoredDelivery>> ListAsync(DeliveryStatus? status, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<StoredDelivery>>(Read(connection =>
        {
            using var list = Command(connection, null,
                status is null
                    ? $"SELECT {WithBodies} ORDER BY d.id"
                    : $"SELECT {WithBodies} WHERE d.status = $status ORDER BY d.id");
            if (status is { } s)
            {
                list.Parameters.AddWithValue("$status", StatusText(s));
            }
            return ReadDeliveries(list);
        }));
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsDatabase)
        {
            await _database.DisposeAsync();
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

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
            deliveries.Add(DeliveryRows.Read(reader));
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
    /// A write in the database's next group commit: worker bookkeeping never contends with appends for SQLite's write
    /// lock, and rides on the commit's fsync instead of paying its own. The result comes once that commit is durable.
    /// </summary>
    private Task<T> Write<T>(Func<SqliteConnection, SqliteTransaction, long, T> work) => _database.WriteAsync(What, work);

    private T Read<T>(Func<SqliteConnection, T> work) => _database.Read(What, work);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql) =>
        SqliteDatabase.Command(connection, transaction, sql);

    /// <summary>One caller waiting for the group commit that carries its delivery.</summary>
    private sealed class PendingAppend(NewDelivery delivery) : SqliteWrite
    {
        private readonly TaskCompletionSource<AppendResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Known once inserted, handed to the caller only once the transaction committed.</summary>
        private AppendResult? _result;

        public Task<AppendResult> Task => _done.Task;

        public override long Bytes => delivery.Body.Length;

        public override int Execute(SqliteWriteSession session)
        {
            _result = session.Prepared(static connection => new AppendStatements(connection)).Append(delivery, session.Transaction, session.Now);
            return _result.Duplicate ? 0 : 1;
        }

        public override void Committed() => _done.TrySetResult(_result!);

        public override void TrySetFailure(Exception failure) => _done.TrySetException(failure);
    }

    /// <summary>The two statements of an append, prepared once on the writer's connection and reused for every append.</summary>
    private sealed class AppendStatements : IDisposable
    {
        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _existing;
        private readonly SqliteParameter _key;
        private readonly SqliteParameter _event;
        private readonly SqliteParameter _subject;
        private readonly SqliteParameter _uuid;
        private readonly SqliteParameter _receivedAt;
        private readonly SqliteParameter _body;
        private readonly SqliteCommand _bodyInsert;
        private readonly SqliteParameter _bodyId;
        private readonly SqliteParameter _now;
        private readonly SqliteParameter _due;
        private readonly SqliteParameter _trace;
        private readonly SqliteParameter _existingKey;
        private readonly SqliteCommand _subjectUpsert;
        private readonly SqliteParameter _upsertSubject;
        private readonly SqliteParameter _upsertDue;
        private readonly SqliteParameter _upsertId;

        public AppendStatements(SqliteConnection connection)
        {
            _insert = Command(connection, null, """
                INSERT INTO deliveries (dedupe_key, event, subject, event_uuid, received_at, body, status, attempts, next_attempt_at, trace_parent)
                VALUES ($key, $event, $subject, $uuid, $received, x'', 'pending', 0, COALESCE($due, $now), $trace)
                ON CONFLICT (dedupe_key) DO NOTHING
                RETURNING id
                """);
            _key = _insert.Parameters.Add("$key", SqliteType.Text);
            _event = _insert.Parameters.Add("$event", SqliteType.Text);
            _subject = _insert.Parameters.Add("$subject", SqliteType.Text);
            _uuid = _insert.Parameters.Add("$uuid", SqliteType.Text);
            _receivedAt = _insert.Parameters.Add("$received", SqliteType.Integer);
            // The body has a row of its own: the worker's updates of the delivery's status never rewrite it.
            _bodyInsert = Command(connection, null, "INSERT INTO delivery_bodies (id, body) VALUES ($id, $body)");
            _bodyId = _bodyInsert.Parameters.Add("$id", SqliteType.Integer);
            _body = _bodyInsert.Parameters.Add("$body", SqliteType.Blob);
            _now = _insert.Parameters.Add("$now", SqliteType.Integer);
            _due = _insert.Parameters.Add("$due", SqliteType.Integer);
            _trace = _insert.Parameters.Add("$trace", SqliteType.Text);
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

        /// <summary>Inserts the delivery in the group commit's transaction, or finds the one stored earlier under its key.</summary>
        public AppendResult Append(NewDelivery delivery, SqliteTransaction transaction, long now)
        {
            _insert.Transaction = transaction;
            _existing.Transaction = transaction;
            _subjectUpsert.Transaction = transaction;
            _bodyInsert.Transaction = transaction;
            _now.Value = now;
            _key.Value = delivery.DedupeKey;
            _event.Value = delivery.Event;
            _subject.Value = delivery.Subject;
            _uuid.Value = (object?)delivery.EventUuid ?? DBNull.Value;
            _receivedAt.Value = delivery.ReceivedAt.ToUnixTimeMilliseconds();
            _due.Value = delivery.NotBefore is { } due ? due.ToUnixTimeMilliseconds() : DBNull.Value;
            _trace.Value = (object?)DeliveryRows.TraceParentOrNull(delivery.TraceParent) ?? DBNull.Value;
            if (_insert.ExecuteScalar() is long id)
            {
                _bodyId.Value = id;
                _body.Value = AsArray(delivery.Body);
                _bodyInsert.ExecuteNonQuery();
                _body.Value = DBNull.Value;
                _upsertSubject.Value = delivery.Subject;
                _upsertDue.Value = delivery.NotBefore is { } notBefore ? notBefore.ToUnixTimeMilliseconds() : now;
                _upsertId.Value = id;
                _subjectUpsert.ExecuteNonQuery();
                return new AppendResult(id.ToString(CultureInfo.InvariantCulture), Duplicate: false);
            }
            // The key is already stored, earlier or by an earlier caller of this same batch.
            _existingKey.Value = delivery.DedupeKey;
            var existing = (long)_existing.ExecuteScalar()!;
            return new AppendResult(existing.ToString(CultureInfo.InvariantCulture), Duplicate: true);
        }

        public void Dispose()
        {
            _insert.Dispose();
            _bodyInsert.Dispose();
            _existing.Dispose();
            _subjectUpsert.Dispose();
        }

        // Avoids a copy when the caller's memory is a whole array (the usual case: a buffered request body).
        private static byte[] AsArray(ReadOnlyMemory<byte> body) =>
            MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
                ? segment.Array
                : body.ToArray();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2241, Level = LogLevel.Warning, Message = "Another live bot process works on {Path}: one process per SQLite file (use PostgreSQL for several); claims are left to their leases")]
        public static partial void WorkerLockHeld(ILogger logger, string path);

        [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Inbox {Action} of subject {Subject} skipped {Count} deliveries: the lease was lost to another worker")]
        public static partial void LeaseLost(ILogger logger, string subject, int count, string action);
    }
}
