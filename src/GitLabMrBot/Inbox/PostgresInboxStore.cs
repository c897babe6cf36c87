using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace GitLabMrBot.Inbox;

/// <summary>
/// The inbox shared by several bot instances: PostgreSQL tables in the first schema of the connection's search path.
/// Appends are group-committed like SQLite's (one writer per instance drains the queue into one transaction).
/// Claims are safe across instances: a per-subject advisory lock serialises claimers of one subject, and the claim
/// re-checks for a live lease after taking it, so a subject is never in flight twice. The schema is created on
/// first use (under an advisory lock, so instances starting together do not race), not in the constructor:
/// an instance started while the server is down reports unavailable and recovers when it answers.
/// Committed work is announced with <c>NOTIFY</c>, so idle workers of every instance wake at once.
/// Times are stored as Unix milliseconds from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class PostgresInboxStore : IInboxStore, IAsyncDisposable, IDisposable
{
    /// <summary>Bumped by each schema change; the <c>mrbot_schema</c> row records what the database has.</summary>
    internal const int SchemaVersion = 1;

    /// <summary>Most appends committed in one transaction: bounds the time one commit holds its row locks.</summary>
    internal const int MaxGroupCommit = 512;

    /// <summary>Most deliveries of one subject claimed at once: bounds the memory of one batch.</summary>
    internal const int MaxClaim = 1000;

    /// <summary>The channel every instance listens on; the payload names the table, so schemas sharing a database stay apart.</summary>
    internal const string Channel = "mrbot_inbox";

    /// <summary>Attempts of one group commit that lost a deadlock (the same keys appended on two instances at once).</summary>
    private const int CommitAttempts = 4;

    /// <summary>Candidate rows read per look; subjects another claimer holds are excluded from the next look.</summary>
    private const int CandidateRows = 16;

    private const int MaxErrorLength = 4000;
    private const int PruneChunk = 5000;

    // First key of the schema-creation lock ("mrbo"); the second is the schema's name, so schemas never wait on each other.
    private const int SchemaLockKey = 0x6D72626F;

    private const string Pending = "pending";
    private const string Processing = "processing";
    private const string Done = "done";
    private const string Dead = "dead";

    private const string Columns =
        "id, dedupe_key, event, subject, event_uuid, received_at, body, status, attempts, next_attempt_at, last_error";

    private const string CreateSql = """
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
        -- Claim: the oldest due pending delivery, in id order.
        CREATE INDEX ix_mrbot_deliveries_pending ON mrbot_deliveries (id) INCLUDE (subject, next_attempt_at) WHERE status = 'pending';
        -- Claim: is a subject in flight; which leases expired.
        CREATE INDEX ix_mrbot_deliveries_leased ON mrbot_deliveries (subject, lease_until) WHERE status = 'processing';
        -- Claim: every due delivery of one subject, skipping its done history.
        CREATE INDEX ix_mrbot_deliveries_subject ON mrbot_deliveries (subject, status, id);
        -- Prune.
        CREATE INDEX ix_mrbot_deliveries_done ON mrbot_deliveries (completed_at) WHERE status = 'done';
        INSERT INTO mrbot_schema (version) VALUES (1);
        """;

    // A subject is live while one of its deliveries is processing under an unexpired lease.
    private static string LiveLease(string subject) =>
        $"SELECT 1 FROM mrbot_deliveries AS f WHERE f.status = 'processing' AND f.subject = {subject} AND f.lease_until >= @now";

    // The oldest claimable deliveries (due pending, or leased with the lease run out) of subjects with no live lease,
    // leaving out subjects this claim already tried.
    private static readonly string CandidateSql = $$"""
        SELECT id, subject FROM (
          (SELECT p.id, p.subject FROM mrbot_deliveries AS p
           WHERE p.status = 'pending' AND p.next_attempt_at <= @now AND p.subject <> ALL(@tried)
             AND NOT EXISTS ({{LiveLease("p.subject")}})
           ORDER BY p.id LIMIT @rows)
          UNION ALL
          (SELECT e.id, e.subject FROM mrbot_deliveries AS e
           WHERE e.status = 'processing' AND e.lease_until < @now AND e.subject <> ALL(@tried)
             AND NOT EXISTS ({{LiveLease("e.subject")}})
           ORDER BY e.id LIMIT @rows)) AS c
        ORDER BY id LIMIT @rows
        """;

    // Runs under the subject's advisory lock, as a new statement (a new snapshot under READ COMMITTED): it sees every
    // claim committed before the lock was granted, so the live-lease check cannot miss another instance's claim.
    // SKIP LOCKED leaves rows a completing owner is writing right now; they are not claimable anyway.
    private static readonly string ClaimSql = $$"""
        UPDATE mrbot_deliveries SET status = 'processing', lease_owner = @owner, lease_until = @until
        WHERE id IN (
          SELECT id FROM mrbot_deliveries
          WHERE subject = @subject
            AND ((status = 'pending' AND next_attempt_at <= @now) OR (status = 'processing' AND lease_until < @now))
          ORDER BY id LIMIT @cap
          FOR UPDATE SKIP LOCKED)
          AND NOT EXISTS ({{LiveLease("@subject")}})
        RETURNING {{Columns}}
        """;

    // Only rows the batch's owner still holds: a batch whose lease was lost must not touch its successor's work.
    private const string OwnedRows = "lease_owner = @owner AND status = 'processing' AND id = ANY(@ids)";

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly InboxSignal? _signal;
    private readonly ILogger _logger;
    private readonly Channel<PendingAppend> _appends;
    private readonly Task _writer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _listener;
    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private Identity? _identity;
    private int _disposed;

    public PostgresInboxStore(string connectionString, TimeProvider time, InboxSignal? signal = null, ILogger<PostgresInboxStore>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _time = time;
        _signal = signal;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            // The store's own pool: disposing the store closes its connections.
            _dataSource = NpgsqlDataSource.Create(builder);
        }
        catch (ArgumentException e)
        {
            // The message names the bad keyword, never a value: the string may hold a password.
            throw new InboxUnavailableException($"{BotSettings.DatabaseKey} is not a valid PostgreSQL connection string: {e.Message}", e);
        }

        _appends = System.Threading.Channels.Channel.CreateUnbounded<PendingAppend>(new UnboundedChannelOptions { SingleReader = true });
        _writer = Task.Run(WriteLoopAsync);
        // Without a signal to pulse, listening would only hold a connection open for nothing.
        _listener = signal is null ? Task.CompletedTask : Task.Run(ListenLoopAsync);
    }

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

    public Task<ClaimedBatch?> ClaimNextAsync(string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return RunAsync<ClaimedBatch?>(async (connection, identity) =>
        {
            var now = Now();
            var tried = new List<string>();
            while (true)
            {
                // Looked up outside any transaction: idle loops woken by every commit cost one cheap read.
                var subjects = await FindCandidatesAsync(connection, now, tried, cancellationToken);
                if (subjects.Count == 0)
                {
                    return null;
                }
                foreach (var subject in subjects)
                {
                    tried.Add(subject);
                    if (await TryClaimAsync(connection, identity, subject, owner, now, lease, cancellationToken) is { } batch)
                    {
                        return batch;
                    }
                }
            }
        }, cancellationToken);
    }

    public Task<bool> RenewLeaseAsync(ClaimedBatch batch, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return RunAsync(async (connection, _) =>
        {
            await using var renew = Command(connection, $"UPDATE mrbot_deliveries SET lease_until = @until WHERE {OwnedRows}");
            AddOwnedRows(renew.Parameters, batch);
            renew.Parameters.AddWithValue("until", Now() + (long)lease.TotalMilliseconds);
            return await renew.ExecuteNonQueryAsync(cancellationToken) > 0;
        }, cancellationToken);
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
            return ExecuteAndNotifyAsync(connection, complete, identity, cancellationToken);
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
            fail.Parameters.AddWithValue("error", error.Length > MaxErrorLength ? error[..MaxErrorLength] : error);
            fail.Parameters.Add(new NpgsqlParameter("retry", NpgsqlDbType.Bigint) { Value = retryAt is { } at ? at.ToUnixTimeMilliseconds() : DBNull.Value });
            fail.Parameters.AddWithValue("now", Now());
            return ExecuteAndNotifyAsync(connection, fail, identity, cancellationToken);
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
            // Pending deliveries of a subject in flight are left out: they become claimable when that lease
            // expires (the second term) or when the batch completes (its NOTIFY wakes the workers).
            await using var next = Command(connection, $"""
                SELECT MIN(t) FROM (
                  SELECT MIN(p.next_attempt_at) AS t FROM mrbot_deliveries AS p
                  WHERE p.status = 'pending' AND NOT EXISTS ({LiveLease("p.subject")})
                  UNION ALL
                  SELECT MIN(lease_until) FROM mrbot_deliveries WHERE status = 'processing') AS due
                """);
            next.Parameters.AddWithValue("now", Now());
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
        await _dataSource.DisposeAsync();
        _stopping.Dispose();
        _schemaGate.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task<List<string>> FindCandidatesAsync(NpgsqlConnection connection, long now, List<string> tried, CancellationToken cancellationToken)
    {
        await using var find = Command(connection, CandidateSql);
        find.Parameters.AddWithValue("now", now);
        find.Parameters.AddWithValue("tried", tried.ToArray());
        find.Parameters.AddWithValue("rows", CandidateRows);
        var subjects = new List<string>();
        await using var reader = await find.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var subject = reader.GetString(1);
            if (!subjects.Contains(subject, StringComparer.Ordinal))
            {
                subjects.Add(subject);
            }
        }
        return subjects;
    }

    private static async Task<ClaimedBatch?> TryClaimAsync(
        NpgsqlConnection connection, Identity identity, string subject, string owner, long now, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Not waiting: a subject another claimer holds right now is about to be in flight; look at the next one.
        await using (var lockSubject = Command(connection, "SELECT pg_try_advisory_xact_lock(@table, hashtext(@subject))", transaction))
        {
            lockSubject.Parameters.AddWithValue("table", identity.LockKey);
            lockSubject.Parameters.AddWithValue("subject", subject);
            if (await lockSubject.ExecuteScalarAsync(cancellationToken) is not true)
            {
                await transaction.RollbackAsync(cancellationToken);
                return null;
            }
        }

        await using var claim = Command(connection, ClaimSql, transaction);
        claim.Parameters.AddWithValue("owner", owner);
        claim.Parameters.AddWithValue("until", now + (long)lease.TotalMilliseconds);
        claim.Parameters.AddWithValue("subject", subject);
        claim.Parameters.AddWithValue("now", now);
        claim.Parameters.AddWithValue("cap", MaxClaim);
        var deliveries = await ReadDeliveriesAsync(claim, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        // RETURNING gives no order guarantee; batches are oldest first.
        deliveries.Sort(static (a, b) => long.Parse(a.Id, CultureInfo.InvariantCulture).CompareTo(long.Parse(b.Id, CultureInfo.InvariantCulture)));
        return deliveries.Count == 0 ? null : new ClaimedBatch(owner, subject, deliveries);
    }

    /// <summary>Runs the update and a NOTIFY in one implicit transaction: other instances hear of it only once it committed.</summary>
    private static async Task<int> ExecuteAndNotifyAsync(NpgsqlConnection connection, NpgsqlBatchCommand update, Identity identity, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { update, NotifyCommand(identity) } };
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return checked((int)update.RecordsAffected);
    }

    private static NpgsqlBatchCommand NotifyCommand(Identity identity)
    {
        var notify = new NpgsqlBatchCommand("SELECT pg_notify(@channel, @payload)");
        notify.Parameters.AddWithValue("channel", Channel);
        notify.Parameters.AddWithValue("payload", identity.Payload);
        return notify;
    }

    private async Task<T> RunAsync<T>(Func<NpgsqlConnection, Identity, Task<T>> work, CancellationToken cancellationToken)
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
            throw new InboxUnavailableException($"The inbox is unavailable: {e.Message}", e);
        }
    }

    // Server and network failures, and a store already disposed; a caller's own cancellation stays a cancellation.
    private static bool IsUnavailable(Exception e, CancellationToken cancellationToken) => e switch
    {
        InboxUnavailableException => false,
        NpgsqlException => true,
        ObjectDisposedException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    /// <summary>Creates the tables on first use (once per store; retried after a failure) and learns the table's identity.</summary>
    private async Task<Identity> EnsureSchemaAsync(CancellationToken cancellationToken)
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
                await using var create = Command(connection, CreateSql, transaction);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            Identity identity;
            await using (var oid = Command(connection, "SELECT 'mrbot_deliveries'::regclass::oid::bigint", transaction))
            {
                var tableOid = (long)(await oid.ExecuteScalarAsync(cancellationToken))!;
                // The table's oid is unique in the database: it keeps subject locks and wake-ups of two schemas apart.
                identity = new Identity(unchecked((int)(uint)tableOid), tableOid.ToString(CultureInfo.InvariantCulture));
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
        var identity = await EnsureSchemaAsync(CancellationToken.None);
        var now = Now();
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var inserts = new NpgsqlBatch(connection, transaction);
        foreach (var pending in batch)
        {
            var delivery = pending.Delivery;
            var insert = new NpgsqlBatchCommand("""
                INSERT INTO mrbot_deliveries (dedupe_key, event, subject, event_uuid, received_at, body, status, attempts, next_attempt_at)
                VALUES (@key, @event, @subject, @uuid, @received, @body, 'pending', 0, @now)
                ON CONFLICT (dedupe_key) DO NOTHING
                RETURNING id
                """);
            insert.Parameters.AddWithValue("key", delivery.DedupeKey);
            insert.Parameters.AddWithValue("event", delivery.Event);
            insert.Parameters.AddWithValue("subject", delivery.Subject);
            insert.Parameters.Add(new NpgsqlParameter("uuid", NpgsqlDbType.Text) { Value = (object?)delivery.EventUuid ?? DBNull.Value });
            insert.Parameters.AddWithValue("received", delivery.ReceivedAt.ToUnixTimeMilliseconds());
            insert.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>>("body", NpgsqlDbType.Bytea) { TypedValue = delivery.Body });
            insert.Parameters.AddWithValue("now", now);
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
            await using var notify = new NpgsqlBatch(connection, transaction) { BatchCommands = { NotifyCommand(identity) } };
            await notify.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
        return added;
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
                var identity = await EnsureSchemaAsync(token);
                await using var connection = await _dataSource.OpenConnectionAsync(token);
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

    private static string StatusText(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Pending => Pending,
        DeliveryStatus.Processing => Processing,
        DeliveryStatus.Done => Done,
        DeliveryStatus.Dead => Dead,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown delivery status."),
    };

    private static DeliveryStatus ParseStatus(string text) => text switch
    {
        Pending => DeliveryStatus.Pending,
        Processing => DeliveryStatus.Processing,
        Done => DeliveryStatus.Done,
        Dead => DeliveryStatus.Dead,
        _ => throw new InvalidDataException($"Unknown delivery status '{text}' in the inbox."),
    };

    /// <summary>What the store learns of its table on first use: the subject-lock namespace and the NOTIFY payload.</summary>
    private sealed record Identity(int LockKey, string Payload);

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
        [LoggerMessage(EventId = 1111, Level = LogLevel.Error, Message = "Inbox group commit of {Count} deliveries failed; their requests are answered 503")]
        public static partial void GroupCommitFailed(ILogger logger, int count, Exception exception);

        [LoggerMessage(EventId = 1112, Level = LogLevel.Information, Message = "Inbox group commit of {Count} deliveries was aborted by the server ({SqlState}); retrying")]
        public static partial void GroupCommitRetried(ILogger logger, int count, string sqlState);

        [LoggerMessage(EventId = 1113, Level = LogLevel.Warning, Message = "Inbox {Action} of subject {Subject} skipped {Count} deliveries: the lease was lost to another worker")]
        public static partial void LeaseLost(ILogger logger, string subject, int count, string action);

        [LoggerMessage(EventId = 1114, Level = LogLevel.Warning, Message = "Inbox LISTEN connection failed; workers fall back to polling until it reconnects")]
        public static partial void ListenerFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1115, Level = LogLevel.Information, Message = "Inbox LISTEN connection restored")]
        public static partial void ListenerRecovered(ILogger logger);
    }
}
