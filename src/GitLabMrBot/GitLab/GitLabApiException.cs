using System.Net;

namespace GitLabMrBot.GitLab;

/// <summary>
/// Every failure of a GitLab call: an error status (with GitLab's message) or no answer at all
/// (<see cref="StatusCode"/> null: network error, timeout, rate limiter queue full). Never holds the token.
/// </summary>
public sealed class GitLabApiException : Exception
{
    public GitLabApiException(string method, string path, HttpStatusCode? statusCode, string? gitLabMessage, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(Describe(method, path, statusCode, gitLabMessage, innerException), innerException)
    {
        Method = method;
        Path = path;
        StatusCode = statusCode;
        GitLabMessage = gitLabMessage;
        RetryAfter = retryAfter;
    }

    public string Method { get; }

    /// <summary>The request path (no query string, no host).</summary>
    public string Path { get; }

    /// <summary>The status GitLab answered; null when no answer came.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>GitLab's <c>message</c> (or <c>error</c>) as text, when it sent one.</summary>
    public string? GitLabMessage { get; }

    /// <summary>How long GitLab asked us to wait (429/503), for a caller that reschedules.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// True when the request may or may not have been applied: 5xx, timeout or a lost connection
    /// (GitLab can apply a change and still answer 500). False for 4xx, which GitLab rejected.
    /// </summary>
    public bool OutcomeUnknown => StatusCode is null || (int)StatusCode >= 500;

    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;

    private static string Describe(string method, string path, HttpStatusCode? status, string? message, Exception? inner) =>
        status is { } s
            ? $"GitLab {method} {path} answered {(int)s} {s}{(string.IsNullOrEmpty(message) ? "" : $": {message}")}"
            : message is not null
                ? $"GitLab {method} {path} failed: {message}"
                : $"GitLab {method} {path} failed without an answer: {inner?.GetType().Name ?? "unknown"}{(inner is null ? "" : $" ({inner.Message})")}";
}
