using Microsoft.Extensions.Options;

namespace GitLabMrBot.Inbox;

/// <summary>Checks <see cref="InboxOptions"/> at start-up and reports every problem at once, each naming its setting.</summary>
public sealed class InboxOptionsValidator : IValidateOptions<InboxOptions>
{
    /// <summary>More loops than this only contend for SQLite's single writer.</summary>
    public const int MaxConcurrency = 256;

    /// <summary>The worker sleeps for these with timers, which cannot wait longer than about 49 days; a day is plenty.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, InboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.MaxBodyBytes <= 0)
        {
            errors.Add($"{Key(nameof(InboxOptions.MaxBodyBytes))} must be positive (got {options.MaxBodyBytes}).");
        }
        if (options.Concurrency is < 0 or > MaxConcurrency)
        {
            errors.Add($"{Key(nameof(InboxOptions.Concurrency))} must be between 0 (this instance only receives) and {MaxConcurrency} (got {options.Concurrency}).");
        }
        if (options.MaxAttempts < 1)
        {
            errors.Add($"{Key(nameof(InboxOptions.MaxAttempts))} must be at least 1 (got {options.MaxAttempts}).");
        }
        Positive(errors, nameof(InboxOptions.Lease), options.Lease);
        Positive(errors, nameof(InboxOptions.RetryBaseDelay), options.RetryBaseDelay);
        Positive(errors, nameof(InboxOptions.MaxRetryDelay), options.MaxRetryDelay);
        Positive(errors, nameof(InboxOptions.Retention), options.Retention);
        Positive(errors, nameof(InboxOptions.PollInterval), options.PollInterval);
        AtMostADay(errors, nameof(InboxOptions.Lease), options.Lease);
        AtMostADay(errors, nameof(InboxOptions.PollInterval), options.PollInterval);
        if (options.MaxRetryDelay > TimeSpan.Zero && options.MaxRetryDelay < options.RetryBaseDelay)
        {
            errors.Add($"{Key(nameof(InboxOptions.MaxRetryDelay))} ({options.MaxRetryDelay}) must not be shorter than {Key(nameof(InboxOptions.RetryBaseDelay))} ({options.RetryBaseDelay}).");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(List<string> errors, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{Key(name)} must be a positive duration such as 00:00:30 (got {value}).");
        }
    }

    private static void AtMostADay(List<string> errors, string name, TimeSpan value)
    {
        if (value > MaxWait)
        {
            errors.Add($"{Key(name)} must be at most {MaxWait} (got {value}).");
        }
    }

    private static string Key(string property) => $"{InboxOptions.Section}:{property}";
}
