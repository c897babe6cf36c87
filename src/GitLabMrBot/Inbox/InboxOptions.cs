namespace GitLabMrBot.Inbox;

/// <summary>Settings of the inbox and its worker (configuration section <c>Inbox</c>); safe defaults, validated on start.</summary>
public sealed class InboxOptions
{
    public const string Section = "Inbox";

    /// <summary>Largest webhook body accepted (GitLab's own maximum is 25 MB).</summary>
    public long MaxBodyBytes { get; set; } = 25 * 1024 * 1024;

    /// <summary>
    /// How many subjects the worker processes at once. 0: this instance only receives and stores (with PostgreSQL,
    /// other instances process); deliveries then wait in the store.
    /// </summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>
    /// How long a claim holds before another worker may take the deliveries again. The worker renews it every third of
    /// this while processing (a heartbeat), so it bounds only how long a dead instance's MRs wait on PostgreSQL.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Attempts before a delivery is dead-lettered.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Delay before the first retry; doubles with every further attempt (with jitter), up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long done deliveries are kept (for duplicate detection and inspection) before pruning.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the worker looks for due work when nothing wakes it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);
}
