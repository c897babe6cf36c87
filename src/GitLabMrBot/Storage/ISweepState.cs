namespace GitLabMrBot.Storage;

/// <summary>
/// What the reconcile sweep keeps between runs and restarts: the projects the bot has seen events from and when
/// the last complete sweep started. Kept in the bot's store beside the inbox (its SQLite file or PostgreSQL database).
/// </summary>
public interface ISweepState
{
    /// <summary>Adds projects to the known set (already known ones cost nothing).</summary>
    Task RememberProjectsAsync(IReadOnlyCollection<long> projectIds, CancellationToken cancellationToken);

    Task<IReadOnlyList<long>> KnownProjectsAsync(CancellationToken cancellationToken);

    /// <summary>When the last complete sweep started; null before the first one.</summary>
    Task<DateTimeOffset?> LastSweepAsync(CancellationToken cancellationToken);

    Task SetLastSweepAsync(DateTimeOffset startedAt, CancellationToken cancellationToken);
}
