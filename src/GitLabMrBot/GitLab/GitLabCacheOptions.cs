using Microsoft.Extensions.Options;

namespace GitLabMrBot.GitLab;

/// <summary>
/// How long the bot trusts what it read from GitLab (configuration section <c>Cache</c>). Every API call costs a share of
/// GitLab's per-user request budget, so what cannot have changed is read once per version: diffs and commits per head SHA,
/// CODEOWNERS per target commit, the bot's own user once per process. What changes during the day (user ids by username,
/// statuses, review loads, the project's labels) is trusted for <see cref="TimeToLive"/>, shared by every MR in that window.
/// </summary>
public sealed class GitLabCacheOptions
{
    public const string Section = "Cache";

    /// <summary>
    /// False is the naive mode: every evaluation reads everything again (label events included), as a baseline for the
    /// benchmark to measure the caches against in the same run. Behaviour is the same either way; only the calls differ.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long user lookups, statuses, review loads and the project's label list are trusted.</summary>
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromSeconds(60);
}

public sealed class GitLabCacheOptionsValidator : IValidateOptions<GitLabCacheOptions>
{
    public ValidateOptionsResult Validate(string? name, GitLabCacheOptions options) =>
        options.TimeToLive <= TimeSpan.Zero || options.TimeToLive > TimeSpan.FromDays(1)
            ? ValidateOptionsResult.Fail($"{GitLabCacheOptions.Section}:{nameof(options.TimeToLive)} must be positive and at most a day (it is {options.TimeToLive}).")
            : ValidateOptionsResult.Success;
}
