using static GitLabMrBot.UnitTests.Policies.PolicyTestKit;

namespace GitLabMrBot.UnitTests.Policies;

/// <summary>Issue 12, defect 5: policy regexes run on .NET's linear-time engine whenever the pattern allows it.</summary>
public sealed class RegexEngineTests
{
    [Theory]
    [InlineData("(a+)+$", true)]
    [InlineData("^feat(\\(.+\\))?!?:", true)]
    [InlineData("(?=a)a", false)]
    [InlineData("(a)\\1", false)]
    [InlineData("(?>a+)b", false)]
    public void Patterns_run_on_the_linear_engine_whenever_it_accepts_them(string pattern, bool linear)
    {
        var config = OnePolicy($$"""{ "title": {{System.Text.Json.JsonSerializer.Serialize(pattern)}} }""");

        var regex = Assert.IsType<GitLabMrBot.Policies.RegexCondition>(config.Policies[0].When);
        Assert.Equal(linear, regex.Regex.Linear);
    }

    [Theory]
    [InlineData(1000, 960)]
    [InlineData(250, 240)]
    [InlineData(7, 7)]
    [InlineData(1, 1)]
    public void A_shorter_match_gets_most_of_the_time_left_never_more(int remainingMs, int expectedMs) =>
        Assert.Equal(expectedMs, GitLabMrBot.Policies.TimedRegex.Bucket(TimeSpan.FromMilliseconds(remainingMs)));
}
