using GitLabMrBot.Inbox;

namespace GitLabMrBot.Storage.Sqlite;

public sealed partial class SqliteInboxStore
{
    /// <summary>
    /// From the oldest unfinished delivery (the subjects table knows it) onwards only, so the done history that retention
    /// keeps is never scanned: a scrape costs about the backlog, not the whole table.
    /// </summary>
    public Task<InboxBacklog> MeasureBacklogAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var nowMs = now.ToUnixTimeMilliseconds();
        return Task.FromResult(Read(connection =>
        {
            using var measure = Command(connection, null, """
                SELECT COUNT(*), MIN(CASE WHEN status = 'pending' AND next_attempt_at <= $now THEN next_attempt_at END)
                FROM deliveries
                WHERE id >= (SELECT MIN(first_id) FROM subjects) AND status IN ('pending', 'processing')
                """);
            measure.Parameters.AddWithValue("$now", nowMs);
            using var reader = measure.ExecuteReader();
            reader.Read();
            var depth = reader.GetInt64(0);
            var oldestDue = reader.IsDBNull(1) ? nowMs : reader.GetInt64(1);
            return new InboxBacklog(depth, TimeSpan.FromMilliseconds(Math.Max(0, nowMs - oldestDue)));
        }));
    }
}
