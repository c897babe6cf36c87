using System.Globalization;
using System.Threading.Channels;
using GitLabMrBot.Inbox;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using static GitLabMrBot.Storage.DeliveryRows;
using Identity = GitLabMrBot.Storage.Postgres.PostgresDatabase.Identity;

namespace GitLabMrBot.Storage.Postgres;

/// <summary>
/// The inbox shared by several bot instances, a view on the bot's <see cref="PostgresDatabase"/> (its pool and schema).
/// Appends are group-committed like SQLite's (one writer per instance drains the queue into one transaction).
/// Claims are safe across instances: each subject with work has a row in <c>mrbot_subjects</c> holding its lease, and
/// every change to a subject's leases happens under that row's lock (claimers skip rows another one holds), so a
/// subject is never in flight twice.
/// Committed work is announced with <c>NOTIFY</c>, so idle workers of every instance wake at once.
/// Times are stored as Unix milliseconds from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class PostgresInboxStore : IInboxStore, IAsyncDisposable, IDisposable
{
    /// <summary>The schema version of the database (see <see cref="PostgresDatabase"/>, which owns the schema).</summary>
    internal const int SchemaVersion = PostgresDatabase.SchemaVersion;

    /// <summary>Most appends committed in one transaction: bounds the time one commit holds its row locks.</summary>
    internal const int MaxGroupCommit = 512;

    /// <summary>Most deliveries of one subject claimed at once: bounds the memory of one batch.</summary>
    internal const int MaxClaim = 1000;

    /// <summary>The channel every instance listens on; the payload names the table, so schemas sharing a database stay apart.</summary>
    internal const string Channel = "mrbot_inbox";

    /// <summary>Attempts of one group commit that lost a deadlock (the same keys appended on two instances at once).</summary>
    private const int CommitAttempts = 4;

    /// <summary>Subjects one claim looks at before giving up: a subject row can be stale (its deliveries pruned by hand).</summary>
    private const int ClaimLooks = 16;

    // The claimable subject whose oldest waiting delivery is oldest: due pending deliveries and no live lease, or a
    // lease that expired. One row per subject with work, so this costs the same with 10 or 100,000 deliveries queued.
    private const string CandidateSql = """
        SELECT subject FROM mrbot_subjects
        WHERE (lease_until IS NULL AND next_due <= @now) OR lease_until < @now
        ORDER BY first_id LIMIT 1
        """;

    // Inside the claim's transaction: the subject's row is its lock. SKIP LOCKED passes over a subject another
    // instance is claiming or releasing right now, and a locked row is re-checked at its newest version, so a
    // subject whose lease another claimer just took is not returned.
    private const string LockCandidateSql = CandidateSql + " FOR UPDATE SKIP LOCKED";

    // Every other change to a subject's deliveries takes its row first, in the same order as a claim (subject, then
    // deliveries), so a claim and a release never wait on each other in a cycle.
    private const string LockSubjectSql = "SELECT 1 FROM mrbot_subjects WHERE subject = @subject FOR UPDATE";

    // After any change to a subject's deliveries: what is left unfinished, and when it becomes claimable. Deliveries
    // in flight count with their lease's end, so ones a lost lease left behind are claimed again once it expires.
    private const string RefreshSubjectSql = """
        UPDATE mrbot_subjects SET
          next_due = LEAST(
            (SELECT MIN(next_attempt_at) FROM mrbot_deliveries WHERE subject = @subject AND status = 'pending'),
            (SELECT MIN(lease_until) FROM mrbot_deliveries WHERE subject = @subject AND status = 'processing')),
          first_id = LEAST(
            (SELECT MIN(id) FROM mrbot_deliveries WHERE subject = @subject AND status = 'pending'),
            (SELECT MIN(id) FROM mrbot_deliveries WHERE subject = @subject AND status = 'processing'))
        WHERE subject = @subject
        """;

    private const string DropIdleSubjectSql =
        "DELETE FROM mrbot_subjects WHERE subject = @subject AND next_due IS NULL AND lease_owner IS NULL";

    // Claims every due delivery of one subject, under its row lock: this is where deliveries of one MR coalesce into
    // one evaluation. A new statement, so a new snapshot: it sees every release committed before the lock was granted.
    private const string ClaimSql = $"""
        UPDATE mrbot_deliveries SET status = 'processing', lease_owner = @owner, lease_until = @until,
          -- A delivery taken again after its lease expired had an attempt that never finished: it counts (see SQLite's).
          attempts = attempts + CASE WHEN status = 'processing' THEN 1 ELSE 0 END,
          last_error = CASE WHEN status = 'processing' THEN '{LeaseExpiredError}' ELSE last_error END
        WHERE id IN (
          SELECT id FROM mrbot_deliveries
          WHERE subject = @subject
            AND ((status = 'pending' AND next_attempt_at <= @now) OR (status = 'processing' AND lease_until < @now))
          ORDER BY id LIMIT @cap)
        RETURNING {Columns}
        """;

    // Appends: one row per subject of the batch, in subject order, so two instances' group commits lock subjects in
    // the same order. LEAST, not COALESCE: identities commit out of order across instances.
    private const string UpsertSubjectsSql = """
        INSERT INTO mrbot_subjects (subject, next_due, first_id)
        SELECT subject, next_due, first_id FROM unnest(@subjects, @dues, @ids) AS n(subject, next_due, first_id) ORDER BY subject
        ON CONFLICT (subject) DO UPDATE SET
          next_due = LEAST(mrbot_subjects.next_due, excluded.next_due),
          first_id = LEAST(mrbot_subjects.first_id, excluded.first_id)
        """;

    // Only rows the batch's owner still holds: a batch whose lease was lost must not touch its successor's work.
    private const string OwnedRows = "lease_owner = @owner AND status = 'processing' AND id = ANY(@ids)";

    private const string What = "inbox";

    private readonly PostgresDatabase _database;
    private readonly bool _ownsDatabase;
    private readonly TimeProvider _time;
    private readonly InboxSignal? _signal;
    private readonly ILogger _logger;
    private readonly Channel<PendingAppend> _appends;
    private readonly Task _writer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _listener;
    private int _disposed;

    /// <summary>An inbox with a database of its own (tools and tests; the bot shares one, see <c>AddStorage</c>).</summary>
    public PostgresInboxStore(string connectionString, TimeProvider time, InboxSignal? signal = null, ILogger<PostgresInboxStore>? logger = null)
        : this(new PostgresDatabase(connectionString), ownsDatabase: true, time, signal, logger)
    {
    }

    /// <summary>The inbox of <paramref name="database"/>, which stays open when this is disposed.</summary>
    public PostgresInboxStore(PostgresDatabase database, TimeProvider time, InboxSignal? signal = null, ILogger<PostgresInboxStore>? logger = null)
        : this(database, ownsDatabase: false, time, signal, logger)
    {
    }

    private PostgresInboxStore(PostgresDatabase database, bool ownsDatabase, TimeProvider time, InboxSignal? signal, ILogger<PostgresInboxStore>? logger)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _ownsDatabase = ownsDatabase;
        _time = time;
        _signal = signal;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _appends = System.Threading.Channels.Channel.CreateUnbounded<PendingAppend>(new UnboundedChannelOptions { SingleReader = true });
        _writer = Task.Run(WriteLoopAsync);
        // Without a signal to pulse, listening would only hold a connection open for nothing.
        _listener = signal is null ? Task.CompletedTask : Task.Run(ListenLoopAsync);
    }

    /// <summary>The database this inbox is a view on.</summary>
    internal PostgresDatabase Database => _database;

    public Task<AppendResult> AppendAsync(NewDelivery delivery, CancellationToken cancellationToken)
    {
        DeliveryRows.Validate(delivery);
        cancellationToken.ThrowIfCancellationRequested();

        var pending = new PendingAppend(delivery);
        if (!_appends.Writer.TryWrite(pending))
        {
            throw new InboxUnavailableException("The inbox is shut down.");
        }
        // A cancelled caller stops waiting, but its delivery may still commit: a retry then sees a duplicate.
        return cancellationToken.CanBeCanceled ? pending.Task.WaitAsync(cancellationToken) : pending.Task;
    }

    public Task<ClaimedBatch?> ClaimNextAsync(string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return RunAsync<ClaimedBatch?>(async (connection, _) =>
        {
            var now = Now();
            // Looked at first outside any transaction: idle loops woken by every commit cost one cheap read.
            await using (var look = Command(connection, CandidateSql))
            {
                look.Parameters.AddWithValue("now", now);
                if (await look.ExecuteScalarAsync(cancellationToken) is null)
                {
                    return null;
                }
            }
            for (var i = 0; i < ClaimLooks; i++)
            {
                var (found, batch) = await TryClaimAsync(connection, owner, now, lease, cancellationToken);
                if (!found || batch is not null)
                {
                    return batch;
                }
            }
            return null;
        }, cancellationToken);
    }

    public Task<bool> RenewLeaseAsync(ClaimedBatch batch, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return RunAsync(async (connection, _) =>
        {
            var until = Now() + (long)lease.TotalMilliseconds;
            var renew = new NpgsqlBatchCommand($"UPDATE mrbot_deliveries SET lease_until = @until WHERE {OwnedRows}");
            AddOwnedRows(renew.Parameters, batch);
            renew.Parameters.AddWithValue("until", until);
            var subject = SubjectCommand("UPDATE mrbot_subjects SET lease_until = @until WHERE subject = @subject AND lease_owner = @owner", batch.Subject);
            subject.Parameters.AddWithValue("until", until);
            subject.Parameters.AddWithValue("owner", batch.Owner);
            // One implicit transaction: the subject's row first, like every change to its leases.
            await using var renewal = new NpgsqlBatch(connection)
            {
                BatchCommands = { SubjectCommand(LockSubjectSql, batch.Subject), renew, subject },
            };
            await renewal.ExecuteNonQueryAsync(cancellationToken);
            return renew.RecordsAffected > 0;
        }, cancellationToken);
    }

    public async Task ReleaseAsync(ClaimedBatch batch, DateTimeOffset dueAt, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var changed = await RunAsync((connection, identity) =>
        {
            var release = new NpgsqlBatchCommand($"""
                UPDATE mrbot_deliveries SET status = 'pending', next_attempt_at = @due, last_error = COALESCE(@reason, last_error),
                  lease_owner = NULL, lease_until = NULL
                WHERE {OwnedRows}
                """);
            AddOwnedRows(release.Parameters, batch);
            release.Parameters.AddWithValue("due", dueAt.ToUnixTimeMilliseconds());
            release.Parameters.Add(new NpgsqlParameter("reason", NpgsqlDbType.Text) { Value = reason is null ? DBNull.Value : Truncate(reason) });
            return ReleaseAndNotifyAsync(connection, release, batch, identity, cancellationToken);
        }, cancellationToken);
        if (changed < batch.Deliveries.Count)
        {
            Log.LeaseLost(_logger, batch.Subject, batch.Deliveries.Count - changed, "release");
        }
        _signal?.Pulse();
    }

    /// <summary>
    /// None: the claims in the database may be live instances' own. A dead instance's claims are taken over when their
    /// leases expire, which the heartbeat keeps short (<c>Inbox:Lease</c>).
    /// </summary>
    public Task<int> ExpireOrphanedClaimsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(0);
    }

    public async Task CompleteAsync(ClaimedBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var changed = await RunAsync((connection, identity) =>
        {
            var complete = new NpgsqlBatchCommand(
                $"UPDATE mrbot_deliveries SET status = 'done', completed_at = @now, lease_owner = NULL, lease_until = NULL WHERE {OwnedRows}");
            AddOwnedRows(complete.Parameters, batch);
            complete.Parameters.AddWithValue("now", Now());
            return ReleaseAndNotifyAsync(connection, complete, batch, identity, cancellationToken);
        }, cancellationToken);
        if (changed < batch.Deliveries.Count)
        {
            Log.LeaseLost(_logger, batch.Subject, batch.Deliveries.Count - changed, "complete");
        }
        _signal?.Pulse();
    }

    public async Task FailAsync(ClaimedBatch batch, string error, DateTimeOffset? retryAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(error);
        var changed = await RunAsync((connection, identity) =>
        {
            var fail = new NpgsqlBatchCommand($"""
                UPDATE mrbot_deliveries SET attempts = attempts + 1, last_error = @error,
                  status = CASE WHEN @retry::bigint IS NULL THEN 'dead' ELSE 'pending' END,
                  next_attempt_at = COALESCE(@retry::bigint, next_attempt_at),
                  completed_at = CASE WHEN @retry::bigint IS NULL THEN @now ELSE NULL END,
                  lease_owner = NULL, lease_until = NULL
                WHERE {OwnedRows}
                """);
            AddOwnedRows(fail.Parameters, batch);
            fail.Parameters.AddWithValue("error", Truncate(error));
            fail.Parameters.Add(new NpgsqlParameter("retry", NpgsqlDbType.Bigint) { Value = retryAt is { } at ? at.ToUnixTimeMilliseconds() : DBNull.Value });
            fail.Parameters.AddWithValue("now", Now());
            return ReleaseAndNotifyAsync(connection, fail, batch, identity, cancellationToken);
        }, cancellationToken);
        if (changed < batch.Deliveries.Count)
        {
            Log.LeaseLost(_logger, batch.Subject, batch.Deliveries.Count - changed, "fail");
        }
        _signal?.Pulse();
    }

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken) =>
        RunAsync<DateTimeOffset?>(async (connection, _) =>
        {
            // A subject in flight becomes claimable when its lease expires (or sooner, when its batch completes and
            // NOTIFYs the workers); any other subject when its next pending delivery is due.
            await using var next = Command(connection,
                "SELECT MIN(CASE WHEN lease_until IS NOT NULL THEN lease_until ELSE next_due END) FROM mrbot_subjects");
            return await next.ExecuteScalarAsync(cancellationToken) is long at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null;
        }, cancellationToken);

    public Task<int> PruneAsync(DateTimeOffset completedBefore, CancellationToken cancellationToken) =>
        RunAsync(async (connection, _) =>
        {
            // In chunks, each its own transaction, so a large prune never holds many row locks for long.
            await using var prune = Command(connection, """
                DELETE FROM mrbot_deliveries WHERE id IN (
                  SELECT id FROM mrbot_deliveries WHERE status = 'done' AND completed_at < @before LIMIT @chunk)
                """);
            prune.Parameters.AddWithValue("before", completedBefore.ToUnixTimeMilliseconds());
            prune.Parameters.AddWithValue("chunk", PruneChunk);
            var total = 0;
            int deleted;
            do
            {
                deleted = await prune.ExecuteNonQueryAsync(cancellationToken);
                total += deleted;
            }
            while (deleted == PruneChunk);
            return total;
        }, cancellationToken);

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0 || _writer.IsCompleted)
        {
            return false;
        }
        try
        {
            return await RunAsync(async (connection, _) =>
            {
                await using var ping = Command(connection, "SELECT 1 FROM mrbot_deliveries LIMIT 0");
                await ping.ExecuteNonQueryAsync(cancellationToken);
                return true;
            }, cancellationToken);
        }
        catch (InboxUnavailableException)
        {
            return false;
        }
    }

    public Task<IReadOnlyList<StoredDelivery>> ListAsync(DeliveryStatus? status, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<StoredDelivery>>(async (connection, _) =>
        {
            await using var list = Command(connection, status is null
                ? $"SELECT {Columns} FROM mrbot_deliveries ORDER BY id"
                : $"SELECT {Columns} FROM mrbot_deliveries WHERE status = @status ORDER BY id");
            if (status is { } s)
            {
                list.Parameters.AddWithValue("status", StatusText(s));
            }
            return await ReadDeliveriesAsync(list, cancellationToken);
        }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        // Appends already queued are still committed: their callers are waiting for an answer.
        _appends.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        await _stopping.CancelAsync();
        await _listener.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_ownsDatabase)
        {
            await _database.DisposeAsync();
        }
        _stopping.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// One claim transaction: locks the next claimable subject and claims its due deliveries. Found is false when no
    /// subject is claimable now; the batch is null when the subject's row promised work its deliveries no longer have
    /// (the row is corrected, and the caller looks again).
    /// </summary>
    private static async Task<(bool Found, ClaimedBatch? Batch)> TryClaimAsync(
        NpgsqlConnection connection, string owner, long now, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        string? subject;
        await using (var find = Command(connection, LockCandidateSql, transaction))
        {
            find.Parameters.AddWithValue("now", now);
            subject = await find.ExecuteScalarAsync(cancellationToken) as string;
        }
        if (subject is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            return (false, null);
        }

        var until = now + (long)lease.TotalMilliseconds;
        List<StoredDelivery> deliveries;
        await using (var claim = Command(connection, ClaimSql, transaction))
        {
            claim.Parameters.AddWithValue("owner", owner);
            claim.Parameters.AddWithValue("until", until);
            claim.Parameters.AddWithValue("subject", subject);
            claim.Parameters.AddWithValue("now", now);
            claim.Parameters.AddWithValue("cap", MaxClaim);
            deliveries = await ReadDeliveriesAsync(claim, cancellationToken);
        }

        var hold = SubjectCommand("""
            UPDATE mrbot_subjects SET lease_owner = CASE WHEN @claimed THEN @owner END, lease_until = CASE WHEN @claimed THEN @until END
            WHERE subject = @subject
            """, subject);
        hold.Parameters.AddWithValue("claimed", deliveries.Count > 0);
        hold.Parameters.AddWithValue("owner", owner);
        hold.Parameters.AddWithValue("until", until);
        await using (var update = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands = { hold, SubjectCommand(RefreshSubjectSql, subject), SubjectCommand(DropIdleSubjectSql, subject) },
        })
        {
            await update.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);

        // RETURNING gives no order guarantee; batches are oldest first.
        deliveries.Sort(static (a, b) => long.Parse(a.Id, CultureInfo.InvariantCulture).CompareTo(long.Parse(b.Id, CultureInfo.InvariantCulture)));
        return (true, deliveries.Count == 0 ? null : new ClaimedBatch(owner, subject, deliveries));
    }

    /// <summary>
    /// Runs the batch's update, lets go of its subject and NOTIFYs, in one implicit transaction: the subject's row is
    /// locked first, and other instances hear of it only once it committed.
    /// </summary>
    private static async Task<int> ReleaseAndNotifyAsync(
        NpgsqlConnection connection, NpgsqlBatchCommand update, ClaimedBatch batch, Identity identity, CancellationToken cancellationToken)
    {
        var release = SubjectCommand("UPDATE mrbot_subjects SET lease_owner = NULL, lease_until = NULL WHERE subject = @subject AND lease_owner = @owner", batch.Subject);
        release.Parameters.AddWithValue("owner", batch.Owner);
        await using var commands = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                SubjectCommand(LockSubjectSql, batch.Subject),
                update,
                release,
                SubjectCommand(RefreshSubjectSql, batch.Subject),
                SubjectCommand(DropIdleSubjectSql, batch.Subject),
                NotifyCommand(identity),
            },
        };
        await commands.ExecuteNonQueryAsync(cancellationToken);
        return checked((int)update.RecordsAffected);
    }

    private static NpgsqlBatchCommand SubjectCommand(string sql, string subject)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddWithValue("subject", subject);
        return command;
    }

    private static NpgsqlBatchCommand NotifyCommand(Identity identity)
    {
        var notify = new NpgsqlBatchCommand("SELECT pg_notify(@channel, @payload)");
        notify.Parameters.AddWithValue("channel", Channel);
        notify.Parameters.AddWithValue("payload", identity.Payload);
        return notify;
    }

    private Task<T> RunAsync<T>(Func<NpgsqlConnection, Identity, Task<T>> work, CancellationToken cancellationToken) =>
        _database.RunAsync(What, work, cancellationToken);

    private async Task WriteLoopAsync()
    {
        var reader = _appends.Reader;
        var batch = new List<PendingAppend>(MaxGroupCommit);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Everything queued while the previous commit was in flight goes into this one.
            while (batch.Count < MaxGroupCommit && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            try
            {
                var added = false;
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        added = await CommitAsync(batch);
                        break;
                    }
                    catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure
                                                      && attempt < CommitAttempts)
                    {
                        // Two instances appending the same keys in different orders: the server aborted one; it tries again.
                        Log.GroupCommitRetried(_logger, batch.Count, e.SqlState);
                    }
                }
                // Workers are woken first: by the time a caller sees its answer, they are already looking.
                if (added)
                {
                    _signal?.Pulse();
                }
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].TrySetResult(batch[i].Result!);
                }
            }
            catch (Exception e)
            {
                Log.GroupCommitFailed(_logger, batch.Count, e);
                var failure = e as InboxUnavailableException ?? new InboxUnavailableException("The inbox could not commit the delivery.", e);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].TrySetException(failure);
                }
            }
            batch.Clear();
        }
    }

    /// <summary>Inserts the batch in one transaction (one round trip for all inserts); true when at least one delivery was new.</summary>
    private async Task<bool> CommitAsync(List<PendingAppend> batch)
    {
        var identity = await _database.EnsureSchemaAsync(CancellationToken.None);
        var now = Now();
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var inserts = new NpgsqlBatch(connection, transaction);
        foreach (var pending in batch)
        {
            var delivery = pending.Delivery;
            var insert = new NpgsqlBatchCommand("""
                INSERT INTO mrbot_deliveries (dedupe_key, event, subject, event_uuid, received_at, body, status, attempts, next_attempt_at, trace_parent)
                VALUES (@key, @event, @subject, @uuid, @received, @body, 'pending', 0, @due, @trace)
                ON CONFLICT (dedupe_key) DO NOTHING
                RETURNING id
                """);
            insert.Parameters.AddWithValue("key", delivery.DedupeKey);
            insert.Parameters.AddWithValue("event", delivery.Event);
            insert.Parameters.AddWithValue("subject", delivery.Subject);
            insert.Parameters.Add(new NpgsqlParameter("uuid", NpgsqlDbType.Text) { Value = (object?)delivery.EventUuid ?? DBNull.Value });
            insert.Parameters.AddWithValue("received", delivery.ReceivedAt.ToUnixTimeMilliseconds());
            insert.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>>("body", NpgsqlDbType.Bytea) { TypedValue = delivery.Body });
            insert.Parameters.AddWithValue("due", delivery.NotBefore?.ToUnixTimeMilliseconds() ?? now);
            insert.Parameters.Add(new NpgsqlParameter("trace", NpgsqlDbType.Text) { Value = (object?)DeliveryRows.TraceParentOrNull(delivery.TraceParent) ?? DBNull.Value });
            inserts.BatchCommands.Add(insert);
        }

        var duplicates = new List<PendingAppend>();
        await using (var reader = await inserts.ExecuteReaderAsync())
        {
            var i = 0;
            do
            {
                var pending = batch[i++];
                if (await reader.ReadAsync())
                {
                    pending.Result = new AppendResult(reader.GetInt64(0).ToString(CultureInfo.InvariantCulture), Duplicate: false);
                }
                else
                {
                    // The key is already stored, earlier or by an earlier caller of this same batch.
                    duplicates.Add(pending);
                }
            }
            while (await reader.NextResultAsync());
        }

        if (duplicates.Count > 0)
        {
            // A new statement, so a new snapshot: it sees a row another instance committed while this insert waited on it.
            await using var existing = new NpgsqlCommand("SELECT dedupe_key, id FROM mrbot_deliveries WHERE dedupe_key = ANY(@keys)", connection, transaction);
            existing.Parameters.AddWithValue("keys", duplicates.Select(d => d.Delivery.DedupeKey).Distinct(StringComparer.Ordinal).ToArray());
            var ids = new Dictionary<string, long>(StringComparer.Ordinal);
            await using (var reader = await existing.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    ids[reader.GetString(0)] = reader.GetInt64(1);
                }
            }
            foreach (var pending in duplicates)
            {
                pending.Result = new AppendResult(ids[pending.Delivery.DedupeKey].ToString(CultureInfo.InvariantCulture), Duplicate: true);
            }
        }

        var added = duplicates.Count < batch.Count;
        if (added)
        {
            await using var after = new NpgsqlBatch(connection, transaction) { BatchCommands = { UpsertSubjects(batch, now), NotifyCommand(identity) } };
            await after.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
        return added;
    }

    /// <summary>The subject rows of the batch's new deliveries, one per subject: its earliest due time and oldest id.</summary>
    private static NpgsqlBatchCommand UpsertSubjects(List<PendingAppend> batch, long now)
    {
        var subjects = new SortedDictionary<string, (long Due, long Id)>(StringComparer.Ordinal);
        foreach (var pending in batch)
        {
            if (pending.Result is not { Duplicate: false } result)
            {
                continue;
            }
            var due = pending.Delivery.NotBefore?.ToUnixTimeMilliseconds() ?? now;
            var id = long.Parse(result.DeliveryId, CultureInfo.InvariantCulture);
            var subject = pending.Delivery.Subject;
            subjects[subject] = subjects.TryGetValue(subject, out var known) ? (Math.Min(known.Due, due), Math.Min(known.Id, id)) : (due, id);
        }
        var upsert = new NpgsqlBatchCommand(UpsertSubjectsSql);
        upsert.Parameters.AddWithValue("subjects", subjects.Keys.ToArray());
        upsert.Parameters.AddWithValue("dues", subjects.Values.Select(v => v.Due).ToArray());
        upsert.Parameters.AddWithValue("ids", subjects.Values.Select(v => v.Id).ToArray());
        return upsert;
    }

    /// <summary>Pulses the signal on every other instance's (and this one's) commits, reconnecting after a failure.</summary>
    private async Task ListenLoopAsync()
    {
        var token = _stopping.Token;
        var failing = false;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var identity = await _database.EnsureSchemaAsync(token);
                await using var connection = await _database.DataSource.OpenConnectionAsync(token);
                connection.Notification += (_, e) =>
                {
                    if (e.Payload == identity.Payload)
                    {
                        _signal!.Pulse();
                    }
                };
                await using (var listen = Command(connection, $"LISTEN {Channel}"))
                {
                    await listen.ExecuteNonQueryAsync(token);
                }
                if (failing)
                {
                    failing = false;
                    Log.ListenerRecovered(_logger);
                }
                // Whatever committed while not listening was not heard: look once now.
                _signal!.Pulse();
                while (true)
                {
                    await connection.WaitAsync(token);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InboxUnavailableException or ObjectDisposedException)
            {
                if (!failing)
                {
                    failing = true;
                    Log.ListenerFailed(_logger, e);
                }
                // Meanwhile the workers' poll interval still finds the work; this only restores the fast path.
                await Task.Delay(TimeSpan.FromSeconds(5), _time, token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null) =>
        new(sql, connection, transaction);

    private static async Task<List<StoredDelivery>> ReadDeliveriesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var deliveries = new List<StoredDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            deliveries.Add(DeliveryRows.Read(reader));
        }
        return deliveries;
    }

    private static void AddOwnedRows(NpgsqlParameterCollection parameters, ClaimedBatch batch)
    {
        var ids = new List<long>(batch.Deliveries.Count);
        foreach (var delivery in batch.Deliveries)
        {
            // Ids from elsewhere (another provider, a typo in a test) simply match nothing.
            if (long.TryParse(delivery.Id, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                ids.Add(id);
            }
        }
        parameters.AddWithValue("ids", ids.ToArray());
        parameters.AddWithValue("owner", batch.Owner);
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>One caller waiting for the group commit that carries its delivery.</summary>
    private sealed class PendingAppend(NewDelivery delivery)
        : TaskCompletionSource<AppendResult>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public NewDelivery Delivery { get; } = delivery;

        /// <summary>Known once inserted, handed to the caller only once the transaction committed.</summary>
        public AppendResult? Result { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2111, Level = LogLevel.Error, Message = "Inbox group commit of {Count} deliveries failed; their requests are answered 503")]
        public static partial void GroupCommitFailed(ILogger logger, int count, Exception exception);

        [LoggerMessage(EventId = 2112, Level = LogLevel.Information, Message = "Inbox group commit of {Count} deliveries was aborted by the server ({SqlState}); retrying")]
        public static partial void GroupCommitRetried(ILogger logger, int count, string sqlState);

        [LoggerMessage(EventId = 2113, Level = LogLevel.Warning, Message = "Inbox {Action} of subject {Subject} skipped {Count} deliveries: the lease was lost to another worker")]
        public static partial void LeaseLost(ILogger logger, string subject, int count, string action);

        [LoggerMessage(EventId = 2114, Level = LogLevel.Warning, Message = "Inbox LISTEN connection failed; workers fall back to polling until it reconnects")]
        public static partial void ListenerFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 2115, Level = LogLevel.Information, Message = "Inbox LISTEN connection restored")]
        public static partial void ListenerRecovered(ILogger logger);
    }
}
