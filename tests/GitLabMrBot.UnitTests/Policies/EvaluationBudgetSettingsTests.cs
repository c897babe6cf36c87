using GitLabMrBot.Configuration;
using Microsoft.Extensions.Configuration;

namespace GitLabMrBot.UnitTests.Policies;

/// <summary>Issue 12, defect 5: the budget settings, in milliseconds, with defaults when unset.</summary>
public sealed class EvaluationBudgetSettingsTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Unset_settings_leave_the_defaults()
    {
        var options = EvaluationBudgetSettings.Read(Settings());

        Assert.Null(options.EvaluationBudget);
        Assert.Null(options.PolicyBudget);
        Assert.Null(options.RegexTimeout);
    }

    [Fact]
    public void Settings_are_read_in_milliseconds()
    {
        var options = EvaluationBudgetSettings.Read(Settings(
            (EvaluationBudgetSettings.EvaluationBudgetKey, "5000"), (EvaluationBudgetSettings.PolicyBudgetKey, " 1500 "), (EvaluationBudgetSettings.MatchTimeoutKey, "100")));

        Assert.Equal(TimeSpan.FromSeconds(5), options.EvaluationBudget);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.PolicyBudget);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.RegexTimeout);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("2s")]
    [InlineData("86400001")]
    public void A_value_that_is_not_a_positive_number_of_milliseconds_is_refused_by_name(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => EvaluationBudgetSettings.Read(Settings((EvaluationBudgetSettings.PolicyBudgetKey, value))));

        Assert.Contains(EvaluationBudgetSettings.PolicyBudgetKey, error.Message);
    }
}
