namespace GitLabMrBot.Storage;

/// <summary>
/// The bot's small durable memory beside the inbox: per-MR reviewer and assignee decisions and the round-robin
/// turn counter. Keys are short strings (<c>reviewers:42:7</c>); values are opaque text. SQLite by default; a
/// PostgreSQL provider implements the same three calls (docs/contract.md §2, principle 7).
/// </summary>
public interface IBotStateStore
{
    /// <summary>The value stored under <paramref name="key"/>, or null.</summary>
    Task<string?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any earlier value.</summary>
    Task SetAsync(string key, string value, CancellationToken cancellationToken);

    /// <summary>Atomically adds <paramref name="delta"/> to the counter <paramref name="key"/> (missing counts as 0); returns the new value.</summary>
    Task<long> IncrementAsync(string key, long delta, CancellationToken cancellationToken);
}
