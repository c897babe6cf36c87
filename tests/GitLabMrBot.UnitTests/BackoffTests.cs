using GitLabMrBot.Inbox;
using GitLabMrBot.Processing.Reconciliation;

namespace GitLabMrBot.UnitTests;

/// <summary>The one retry-delay formula, and the callers that must use it rather than a copy.</summary>
public sealed class BackoffTests
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Max = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData(int.MinValue, 5)]
    [InlineData(0, 5)]
    [InlineData(1, 5)]
    [InlineData(2, 10)]
    [InlineData(4, 40)]
    [InlineData(5, 60)]
    [InlineData(63, 60)]
    [InlineData(int.MaxValue, 60)]
    public void Doubles_from_the_first_delay_up_to_the_cap(int attempt, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Exponential(attempt, First, Max));

    [Fact]
    public void A_cap_beyond_any_doubling_never_overflows()
    {
        Assert.Equal(TimeSpan.MaxValue, Backoff.Exponential(int.MaxValue, TimeSpan.FromDays(1), TimeSpan.MaxValue));
        Assert.Equal(TimeSpan.FromTicks(1L << 40), Backoff.Exponential(41, TimeSpan.FromTicks(1), TimeSpan.MaxValue));
    }

    [Theory]
    [InlineData(0.0, 8)]
    [InlineData(0.5, 10)]
    [InlineData(1.0, 12)]
    public void Jitter_spreads_by_twenty_percent_either_way(double random, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Jittered(TimeSpan.FromSeconds(10), random));

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(40)]
    public void The_inbox_retries_and_the_mergeability_rechecks_use_it(int attempt)
    {
        var inbox = new InboxOptions { RetryBaseDelay = First, MaxRetryDelay = Max };
        var rechecks = new RecheckOptions { FirstDelay = First, MaxDelay = Max };

        Assert.Equal(Backoff.Jittered(Backoff.Exponential(attempt, First, Max), 0.3), InboxWorker.RetryDelay(attempt, inbox, 0.3));
        Assert.Equal(Backoff.Exponential(attempt, First, Max), MergeabilityRechecks.Delay(attempt, rechecks));
    }
}
