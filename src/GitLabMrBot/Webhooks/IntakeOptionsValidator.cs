using GitLabMrBot.Inbox;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Webhooks;

/// <summary>Checks <see cref="IntakeOptions"/> at start-up and reports every problem at once, each naming its setting.</summary>
public sealed class IntakeOptionsValidator(IOptions<InboxOptions> inbox) : IValidateOptions<IntakeOptions>
{
    public ValidateOptionsResult Validate(string? name, IntakeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.MaxConnections < 1)
        {
            errors.Add($"{Key(nameof(IntakeOptions.MaxConnections))} must be at least 1 (got {options.MaxConnections}).");
        }
        Positive(errors, nameof(IntakeOptions.IdleTimeout), options.IdleTimeout);
        Positive(errors, nameof(IntakeOptions.RequestHeadersTimeout), options.RequestHeadersTimeout);
        Positive(errors, nameof(IntakeOptions.RetryAfter), options.RetryAfter);
        if (options.MinBodyBytesPerSecond < 0)
        {
            errors.Add($"{Key(nameof(IntakeOptions.MinBodyBytesPerSecond))} must not be negative (got {options.MinBodyBytesPerSecond}; 0 turns the check off).");
        }
        // Below the largest body, the largest body GitLab may send could never be accepted.
        var maxBody = inbox.Value.MaxBodyBytes;
        if (options.MaxBodyBytesInFlight < maxBody)
        {
            errors.Add($"{Key(nameof(IntakeOptions.MaxBodyBytesInFlight))} ({options.MaxBodyBytesInFlight}) must be at least {InboxOptions.Section}:{nameof(InboxOptions.MaxBodyBytes)} ({maxBody}).");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static string Key(string property) => $"{IntakeOptions.Section}:{property}";

    private static void Positive(List<string> errors, string property, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{Key(property)} must be positive (got {value}).");
        }
    }
}
