using GitLabMrBot.Inbox;

namespace GitLabMrBot.Storage.Postgres;

public sealed partial class PostgresInboxStore
{
    /// <summary>
    /// From the oldest unfinished delivery (the subjects table knows it) onwards only, so the done history that retention
    /// keeps is never scanned: a scrape costs about the backlog, not the whole table.
    /// </summary>
    public Task<InboxBacklog> MeasureBacklogAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        RunAsync(async (connection, _) =>
        {
            var nowMs = now.ToUnixTimeMilliseconds();
            await using var measure = Command(connection, """
                SELECT COUNT(*), MIN(CASE WHEN status = 'pending' AND next_attempt_at <= @now THEN next_attempt_at END)
                FROM mrbot_deliveries
                WHERE id >= (SELECT MIN(first_id) FROM mrbot_subjects) AND status IN ('pending', 'processing')
                """);
            measure.Parameters.AddWithValue("now", nowMs);
            await using var reader = await measure.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var depth = reader.GetInt64(0);
            var oldestDue = reader.IsDBNull(1) ? nowMs : reader.GetInt64(1);
            return new InboxBacklog(depth, TimeSpan.FromMilliseconds(Math.Max(0, nowMs - oldestDue)));
        }, cancellationToken);
}
