using Microsoft.Extensions.Options;

namespace GitLabMrBot.Storage;

/// <summary>How much of the decision log is kept (section <c>DecisionLog</c>).</summary>
public sealed class DecisionLogOptions
{
    public const string Section = "DecisionLog";

    /// <summary>Records kept per MR, newest first (<c>DecisionLog:MaxPerMergeRequest</c>).</summary>
    public int MaxPerMergeRequest { get; set; } = 20;

    /// <summary>Records older than this are deleted (<c>DecisionLog:Retention</c>, a TimeSpan such as <c>30.00:00:00</c>).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);
}

internal sealed class DecisionLogOptionsValidator : IValidateOptions<DecisionLogOptions>
{
    public ValidateOptionsResult Validate(string? name, DecisionLogOptions options)
    {
        var problems = new List<string>();
        if (options.MaxPerMergeRequest is < 1 or > 10_000)
        {
            problems.Add($"{DecisionLogOptions.Section}:MaxPerMergeRequest must be between 1 and 10000 (it is {options.MaxPerMergeRequest}).");
        }
        if (options.Retention <= TimeSpan.Zero)
        {
            problems.Add($"{DecisionLogOptions.Section}:Retention must be positive (it is {options.Retention}).");
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
