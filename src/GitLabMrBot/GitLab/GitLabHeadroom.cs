namespace GitLabMrBot.GitLab;

/// <summary>
/// What the last GitLab answer said, for the status page: its status and endpoint template, and GitLab's
/// <c>RateLimit-Remaining</c>/<c>RateLimit-Limit</c> as last sent (docs/gitlab-behaviour.md §3.8). Recorded per attempt by
/// <see cref="GitLabRateLimitHeaderHandler"/>, beside the metric of the same header.
/// </summary>
public sealed class GitLabHeadroom(TimeProvider time)
{
    private volatile GitLabLastCall? _lastCall;
    private volatile GitLabRateLimitSeen? _rateLimit;

    /// <summary>The last attempt's answer; null before the first.</summary>
    public GitLabLastCall? LastCall => _lastCall;

    /// <summary>The last <c>RateLimit-*</c> headers seen; null when GitLab has sent none (its rate limits are off, or only 429s carry them).</summary>
    public GitLabRateLimitSeen? RateLimit => _rateLimit;

    internal void Answered(string method, string? template, int status, long? remaining, long? limit)
    {
        var now = time.GetUtcNow();
        _lastCall = new GitLabLastCall(method, template, status, null, now);
        if (remaining is { } left)
        {
            _rateLimit = new GitLabRateLimitSeen(left, limit, now);
        }
    }

    internal void Failed(string method, string? template, string reason) =>
        _lastCall = new GitLabLastCall(method, template, null, reason, time.GetUtcNow());
}

/// <param name="Status">The HTTP status GitLab answered; null when no answer came (<paramref name="Failure"/> says why).</param>
public sealed record GitLabLastCall(string Method, string? Template, int? Status, string? Failure, DateTimeOffset At);

/// <param name="Limit">GitLab's <c>RateLimit-Limit</c> beside it, when sent.</param>
public sealed record GitLabRateLimitSeen(long Remaining, long? Limit, DateTimeOffset At);
