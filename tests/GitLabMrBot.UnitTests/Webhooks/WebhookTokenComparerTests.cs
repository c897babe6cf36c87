using GitLabMrBot.Webhooks;

namespace GitLabMrBot.UnitTests.Webhooks;

public sealed class WebhookTokenComparerTests
{
    private readonly WebhookTokenComparer _comparer = new(["old-secret", "new-secret"]);

    [Theory]
    [InlineData("old-secret")]
    [InlineData("new-secret")]
    public void Every_configured_secret_is_accepted(string token) => Assert.True(_comparer.Matches(token));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("new-secre")]
    [InlineData("new-secret ")]
    [InlineData("NEW-SECRET")]
    [InlineData("old-secretnew-secret")]
    public void Anything_else_is_refused(string? token) => Assert.False(_comparer.Matches(token));

    [Fact]
    public void Long_and_non_ascii_tokens_are_compared_not_crashed_on()
    {
        var comparer = new WebhookTokenComparer([new string('é', 2000)]);

        Assert.True(comparer.Matches(new string('é', 2000)));
        Assert.False(comparer.Matches(new string('é', 1999)));
    }
}
