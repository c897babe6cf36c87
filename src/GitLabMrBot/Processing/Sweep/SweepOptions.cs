using Microsoft.Extensions.Options;

namespace GitLabMrBot.Processing.Sweep;

/// <summary>Settings of the reconcile sweep (configuration section <c>Sweep</c>); safe defaults, validated on start.</summary>
public sealed class SweepOptions
{
    public const string Section = "Sweep";

    /// <summary>Time between two sweeps. One also runs at start-up, covering the time the bot was down.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How far before the last sweep the next one looks back: the bot's clock and GitLab's differ a little, and an
    /// MR updated while the last sweep was listing must not fall between two sweeps.
    /// </summary>
    public TimeSpan Overlap { get; set; } = TimeSpan.FromMinutes(2);
}

public sealed class SweepOptionsValidator : IValidateOptions<SweepOptions>
{
    public ValidateOptionsResult Validate(string? name, SweepOptions options)
    {
        var errors = new List<string>();
        if (options.Interval < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{SweepOptions.Section}:Interval must be at least one second (it is {options.Interval}).");
        }
        if (options.Overlap < TimeSpan.Zero)
        {
            errors.Add($"{SweepOptions.Section}:Overlap must not be negative (it is {options.Overlap}).");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
