using System.Globalization;
using GitLabMrBot.Inbox;
using Npgsql;
using static GitLabMrBot.Storage.DeliveryRows;

namespace GitLabMrBot.Storage.Postgres;

/// <summary>
/// The operator's side of the PostgreSQL inbox (<see cref="IInboxAdmin"/>). A retry changes a subject's deliveries, so it
/// takes the subject's row first, like every other change to them, and NOTIFYs every instance's workers.
/// </summary>
public sealed partial class PostgresInboxStore : IInboxAdmin
{
    public Task<StoredDelivery?> GetAsync(string id, CancellationToken cancellationToken) =>
        ParseId(id) is { } rowId
            ? RunAsync((connection, _) => FindAsync(connection, null, rowId, cancellationToken), cancellationToken)
            : Task.FromResult<StoredDelivery?>(null);

    public async Task<RetryResult> RetryAsync(string id, CancellationToken cancellationToken)
    {
        if (ParseId(id) is not { } rowId)
        {
            return new RetryResult(null, Requeued: false);
        }
        var result = await RunAsync(async (connection, identity) =>
        {
            var found = await FindAsync(connection, null, rowId, cancellationToken);
            if (found is not { Status: DeliveryStatus.Dead })
            {
                return new RetryResult(found, Requeued: false);
            }
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var requeue = new NpgsqlBatchCommand("""
                UPDATE mrbot_deliveries SET status = 'pending', attempts = 0, next_attempt_at = @now, completed_at = NULL,
                  lease_owner = NULL, lease_until = NULL
                WHERE id = @id AND status = 'dead'
                """);
            requeue.Parameters.AddWithValue("now", Now());
            requeue.Parameters.AddWithValue("id", rowId);
            await using (var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    SubjectCommand("INSERT INTO mrbot_subjects (subject) VALUES (@subject) ON CONFLICT (subject) DO NOTHING", found.Subject),
                    SubjectCommand(LockSubjectSql, found.Subject),
                    requeue,
                    SubjectCommand(RefreshSubjectSql, found.Subject),
                    SubjectCommand(DropIdleSubjectSql, found.Subject),
                    NotifyCommand(identity),
                },
            })
            {
                await batch.ExecuteNonQueryAsync(cancellationToken);
            }
            var after = await FindAsync(connection, transaction, rowId, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            // Another operator may have retried it between the look and the lock: then this call changed nothing.
            return new RetryResult(after, Requeued: requeue.RecordsAffected > 0);
        }, cancellationToken);
        if (result.Requeued)
        {
            _signal?.Pulse();
        }
        return result;
    }

    public Task<DropResult> DropAsync(string id, CancellationToken cancellationToken)
    {
        if (ParseId(id) is not { } rowId)
        {
            return Task.FromResult(new DropResult(DropOutcome.NotFound));
        }
        return RunAsync(async (connection, _) =>
        {
            await using var drop = Command(connection, """
                WITH found AS (SELECT id, status FROM mrbot_deliveries WHERE id = @id),
                     dropped AS (DELETE FROM mrbot_deliveries WHERE id = @id AND status IN ('dead', 'done') RETURNING id)
                SELECT found.status, (SELECT COUNT(*) FROM dropped) FROM found
                """);
            drop.Parameters.AddWithValue("id", rowId);
            await using var reader = await drop.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new DropResult(DropOutcome.NotFound);
            }
            var status = ParseStatus(reader.GetString(0));
            return reader.GetInt64(1) > 0 ? new DropResult(DropOutcome.Dropped) : new DropResult(DropOutcome.Refused, status);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<StoredDelivery>> ListDeadAsync(int limit, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<StoredDelivery>>(async (connection, _) =>
        {
            await using var list = Command(connection, $"SELECT {ColumnsWithoutBody} FROM mrbot_deliveries WHERE status = 'dead' ORDER BY id DESC LIMIT @limit");
            list.Parameters.AddWithValue("limit", limit);
            return await ReadDeliveriesAsync(list, cancellationToken);
        }, cancellationToken);

    public Task<InboxAdminBacklog> BacklogAsync(CancellationToken cancellationToken) =>
        RunAsync(async (connection, _) =>
        {
            await using var count = Command(connection, """
                SELECT COUNT(*) FILTER (WHERE status IN ('pending', 'processing')),
                       MIN(received_at) FILTER (WHERE status IN ('pending', 'processing')),
                       COUNT(*) FILTER (WHERE status = 'dead')
                FROM mrbot_deliveries WHERE status IN ('pending', 'processing', 'dead')
                """);
            await using var reader = await count.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new InboxAdminBacklog(
                reader.GetInt64(0),
                reader.IsDBNull(1) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                reader.GetInt64(2));
        }, cancellationToken);

    private static async Task<StoredDelivery?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long id, CancellationToken cancellationToken)
    {
        await using var find = Command(connection, $"SELECT {Columns} FROM mrbot_deliveries WHERE id = @id", transaction);
        find.Parameters.AddWithValue("id", id);
        return await ReadDeliveriesAsync(find, cancellationToken) is [var delivery] ? delivery : null;
    }

    // Ids are the store's identity values; anything else names no delivery.
    private static long? ParseId(string id) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var rowId) ? rowId : null;
}
