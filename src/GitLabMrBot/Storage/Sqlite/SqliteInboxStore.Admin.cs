using System.Globalization;
using GitLabMrBot.Inbox;
using static GitLabMrBot.Storage.DeliveryRows;

namespace GitLabMrBot.Storage.Sqlite;

/// <summary>The operator's side of the SQLite inbox (<see cref="IInboxAdmin"/>): every change goes through the database's writer.</summary>
public sealed partial class SqliteInboxStore : IInboxAdmin
{
    public Task<StoredDelivery?> GetAsync(string id, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(ParseId(id) is { } rowId ? Read(connection => Find(connection, null, rowId)) : null);
    }

    public async Task<RetryResult> RetryAsync(string id, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (ParseId(id) is not { } rowId)
        {
            return new RetryResult(null, Requeued: false);
        }
        var result = await Write((connection, transaction, now) =>
        {
            var found = Find(connection, transaction, rowId);
            if (found is not { Status: DeliveryStatus.Dead })
            {
                return new RetryResult(found, Requeued: false);
            }
            using var requeue = Command(connection, transaction, """
                UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $now, completed_at = NULL,
                  lease_owner = NULL, lease_until = NULL
                WHERE id = $id AND status = 'dead';
                INSERT INTO subjects (subject) VALUES ($subject) ON CONFLICT (subject) DO NOTHING;
                """ + RefreshSubjectSql);
            requeue.Parameters.AddWithValue("$now", now);
            requeue.Parameters.AddWithValue("$id", rowId);
            requeue.Parameters.AddWithValue("$subject", found.Subject);
            requeue.ExecuteNonQuery();
            return new RetryResult(Find(connection, transaction, rowId), Requeued: true);
        }).ConfigureAwait(false);
        if (result.Requeued)
        {
            _database.Signal?.Pulse();
        }
        return result;
    }

    public Task<DropResult> DropAsync(string id, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (ParseId(id) is not { } rowId)
        {
            return Task.FromResult(new DropResult(DropOutcome.NotFound));
        }
        return Write((connection, transaction, _) =>
        {
            var found = Find(connection, transaction, rowId);
            if (found is null)
            {
                return new DropResult(DropOutcome.NotFound);
            }
            if (found.Status is not (DeliveryStatus.Dead or DeliveryStatus.Done))
            {
                return new DropResult(DropOutcome.Refused, found.Status);
            }
            using var drop = Command(connection, transaction, "DELETE FROM deliveries WHERE id = $id AND status IN ('dead', 'done')");
            drop.Parameters.AddWithValue("$id", rowId);
            drop.ExecuteNonQuery();
            return new DropResult(DropOutcome.Dropped);
        });
    }

    public Task<InboxAdminBacklog> BacklogAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read(connection =>
        {
            using var count = Command(connection, null, """
                SELECT COUNT(*) FILTER (WHERE status IN ('pending', 'processing')),
                       MIN(received_at) FILTER (WHERE status IN ('pending', 'processing')),
                       COUNT(*) FILTER (WHERE status = 'dead')
                FROM deliveries WHERE status IN ('pending', 'processing', 'dead')
                """);
            using var reader = count.ExecuteReader();
            reader.Read();
            return new InboxAdminBacklog(
                reader.GetInt64(0),
                reader.IsDBNull(1) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                reader.GetInt64(2));
        }));
    }

    public Task<IReadOnlyList<StoredDelivery>> ListDeadAsync(int limit, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<StoredDelivery>>(Read(connection =>
        {
            using var list = Command(connection, null, $"SELECT {ColumnsWithoutBody} FROM deliveries WHERE status = 'dead' ORDER BY id DESC LIMIT $limit");
            list.Parameters.AddWithValue("$limit", limit);
            return ReadDeliveries(list);
        }));
    }

    private static StoredDelivery? Find(Microsoft.Data.Sqlite.SqliteConnection connection, Microsoft.Data.Sqlite.SqliteTransaction? transaction, long id)
    {
        using var find = Command(connection, transaction, $"SELECT {WithBodies} WHERE d.id = $id");
        find.Parameters.AddWithValue("$id", id);
        return ReadDeliveries(find) is [var delivery] ? delivery : null;
    }

    // Ids are the store's row numbers; anything else names no delivery.
    private static long? ParseId(string id) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var rowId) ? rowId : null;
}
