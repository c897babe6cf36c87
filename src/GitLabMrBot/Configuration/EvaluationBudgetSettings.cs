using System.Globalization;

namespace GitLabMrBot.Configuration;

/// <summary>
/// The settings that bound how long policy evaluation may run regular expressions (issue 12, defect 5), read from the
/// environment (or any .NET configuration source), each in milliseconds; unset means the default.
/// </summary>
public static class EvaluationBudgetSettings
{
    /// <summary>All regular expressions of one evaluation together. Default 2000.</summary>
    public const string EvaluationBudgetKey = "MRBOT_EVALUATION_BUDGET_MS";

    /// <summary>The regular expressions of one policy in one evaluation. Default 1000.</summary>
    public const string PolicyBudgetKey = "MRBOT_POLICY_BUDGET_MS";

    /// <summary>One match of one regular expression. Default 250.</summary>
    public const string MatchTimeoutKey = "MRBOT_REGEX_MATCH_TIMEOUT_MS";

    /// <summary>The provider options for these settings; throws naming the setting when one is not a positive whole number.</summary>
    public static PolicyConfigProviderOptions Read(IConfiguration configuration) => new()
    {
        EvaluationBudget = Milliseconds(configuration, EvaluationBudgetKey),
        PolicyBudget = Milliseconds(configuration, PolicyBudgetKey),
        RegexTimeout = Milliseconds(configuration, MatchTimeoutKey),
    };

    private static TimeSpan? Milliseconds(IConfiguration configuration, string key)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        // At most a day: Regex refuses longer timeouts, and a longer budget is no budget.
        return int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms is > 0 and <= 86_400_000
            ? TimeSpan.FromMilliseconds(ms)
            : throw new InvalidOperationException($"{key} must be a whole number of milliseconds between 1 and 86400000, found \"{text}\"");
    }
}
