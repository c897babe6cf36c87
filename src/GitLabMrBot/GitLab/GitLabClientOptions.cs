using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.GitLab;

/// <summary>Settings of the GitLab REST client (configuration section <c>GitLab</c>); safe defaults, validated on start.</summary>
public sealed class GitLabClientOptions
{
    public const string Section = "GitLab";

    /// <summary>
    /// Client-side request budget. gitlab.com allows 2,000 authenticated requests per minute per user;
    /// staying below it means the bot is slowed by itself rather than refused by GitLab.
    /// </summary>
    [Range(1, 100_000)]
    public int RequestsPerMinute { get; set; } = 1_800;

    /// <summary>
    /// Requests allowed at once before the per-minute pace applies. The bucket refills once a second
    /// (or once per request below 60/min), so it holds at least one second's worth.
    /// </summary>
    [Range(1, 10_000)]
    public int RateLimitBurst { get; set; } = 30;

    /// <summary>Requests that may wait for the rate limiter; one more is refused rather than queued forever.</summary>
    [Range(1, 1_000_000)]
    public int RateLimitQueueLimit { get; set; } = 10_000;

    /// <summary>Retries after the first attempt, for requests that are safe to repeat.</summary>
    [Range(0, 20)]
    public int MaxRetryAttempts { get; set; } = 4;

    /// <summary>First backoff delay; grows exponentially with jitter.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Longest wait between attempts, and the longest <c>Retry-After</c> honoured in-process. A longer
    /// <c>Retry-After</c> is not retried here: the error carries it so the caller can reschedule.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time allowed for one HTTP attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed for one call including rate-limit waits and every retry.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Retries after a connection GitLab never accepted (refused, host name not resolved), each after
    /// <see cref="ConnectFailureRetryDelay"/>; null (the server's case) retries them like any failure. Set in code by the
    /// command line, not read from configuration: a person at a terminal must hear at once that GitLab is unreachable.
    /// </summary>
    internal int? ConnectFailureRetryAttempts { get; set; }

    /// <summary>The wait before a retry of <see cref="ConnectFailureRetryAttempts"/>.</summary>
    internal TimeSpan ConnectFailureRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often a note create is tried in all (each retry looks for the note's marker first).</summary>
    [Range(1, 10)]
    public int NoteCreateAttempts { get; set; } = 3;

    /// <summary>Page size for every paginated list (GitLab's maximum is 100).</summary>
    [Range(1, 100)]
    public int PerPage { get; set; } = 100;

    /// <summary>Guard against a server that never stops paginating.</summary>
    [Range(1, 100_000)]
    public int MaxPages { get; set; } = 1_000;

    /// <summary>
    /// How <c>GITLAB_TOKEN</c> is sent: <c>private</c> (default) in the <c>PRIVATE-TOKEN</c> header, for personal, group
    /// and project access tokens; <c>bearer</c> as <c>Authorization: Bearer</c>, which OAuth access tokens need (GitLab
    /// looks for them only there; access tokens work either way: docs/gitlab-behaviour.md §3).
    /// </summary>
    public string TokenType { get; set; } = PrivateTokenType;

    /// <summary>
    /// A PEM file with the certificate(s) of the CA that issued GitLab's HTTPS certificate, for an instance behind an
    /// internal CA. Trusted in addition to the system's CAs, for GitLab calls only; the host name is checked as always.
    /// </summary>
    public string? CaBundle { get; set; }

    public const string PrivateTokenType = "private";
    public const string BearerTokenType = "bearer";

    /// <summary>True when <see cref="TokenType"/> says <c>bearer</c>.</summary>
    public bool SendsBearer => string.Equals(TokenType?.Trim(), BearerTokenType, StringComparison.OrdinalIgnoreCase);
}

[OptionsValidator]
public sealed partial class GitLabClientOptionsValidator : IValidateOptions<GitLabClientOptions>;

/// <summary>Rules across fields, reported all at once with the attribute rules.</summary>
public sealed class GitLabClientOptionsCrossValidator : IValidateOptions<GitLabClientOptions>
{
    public ValidateOptionsResult Validate(string? name, GitLabClientOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (options.TotalTimeout <= options.AttemptTimeout)
        {
            builder.AddError($"must be longer than AttemptTimeout ({options.AttemptTimeout}) so that a retry can happen", $"{GitLabClientOptions.Section}:{nameof(options.TotalTimeout)}");
        }
        if (options.RetryBaseDelay > options.MaxRetryDelay)
        {
            builder.AddError($"must not exceed MaxRetryDelay ({options.MaxRetryDelay})", $"{GitLabClientOptions.Section}:{nameof(options.RetryBaseDelay)}");
        }
        if (!options.SendsBearer && !string.Equals(options.TokenType?.Trim(), GitLabClientOptions.PrivateTokenType, StringComparison.OrdinalIgnoreCase))
        {
            builder.AddError(
                $"must be '{GitLabClientOptions.PrivateTokenType}' (PRIVATE-TOKEN header: personal, group and project access tokens) or '{GitLabClientOptions.BearerTokenType}' (Authorization: Bearer: OAuth tokens), not '{options.TokenType}'",
                $"{GitLabClientOptions.Section}:{nameof(options.TokenType)}");
        }
        if (!string.IsNullOrWhiteSpace(options.CaBundle) && GitLabCertificateTrust.Check(options.CaBundle) is { } problem)
        {
            builder.AddError(problem, $"{GitLabClientOptions.Section}:{nameof(options.CaBundle)}");
        }
        return builder.Build();
    }
}
