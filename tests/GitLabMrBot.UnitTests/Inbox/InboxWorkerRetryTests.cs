using GitLabMrBot.Inbox;

namespace GitLabMrBot.UnitTests.Inbox;

public sealed class InboxWorkerRetryTests
{
    private static readonly InboxOptions Options = new()
    {
        RetryBaseDelay = TimeSpan.FromSeconds(5),
        MaxRetryDelay = TimeSpan.FromMinutes(1),
    };

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 10)]
    [InlineData(3, 20)]
    [InlineData(4, 40)]
    [InlineData(5, 60)]
    [InlineData(40, 60)]
    public void Retry_delay_doubles_per_attempt_up_to_the_cap(int attempt, int seconds)
    {
        // random 0.5 is the middle of the jitter range: no jitter.
        Assert.Equal(TimeSpan.FromSeconds(seconds), InboxWorker.RetryDelay(attempt, Options, 0.5));
    }

    [Fact]
    public void Jitter_stays_within_twenty_percent()
    {
        Assert.Equal(TimeSpan.FromSeconds(8), InboxWorker.RetryDelay(2, Options, 0.0));
        Assert.Equal(TimeSpan.FromSeconds(12), InboxWorker.RetryDelay(2, Options, 1.0));
    }
}
