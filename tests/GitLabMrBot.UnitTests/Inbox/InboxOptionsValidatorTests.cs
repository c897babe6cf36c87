using GitLabMrBot.Inbox;

namespace GitLabMrBot.UnitTests.Inbox;

public sealed class InboxOptionsValidatorTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.True(new InboxOptionsValidator().Validate(null, new InboxOptions()).Succeeded);
    }

    [Fact]
    public void Every_invalid_setting_is_reported_at_once_by_its_key()
    {
        var options = new InboxOptions
        {
            MaxBodyBytes = 0,
            Concurrency = -1,
            MaxAttempts = 0,
            Lease = TimeSpan.Zero,
            RetryBaseDelay = TimeSpan.FromSeconds(-1),
            MaxRetryDelay = TimeSpan.Zero,
            Retention = TimeSpan.Zero,
            PollInterval = TimeSpan.Zero,
        };

        var result = new InboxOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        foreach (var key in new[] { "MaxBodyBytes", "Concurrency", "MaxAttempts", "Lease", "RetryBaseDelay", "MaxRetryDelay", "Retention", "PollInterval" })
        {
            Assert.Contains(result.Failures!, f => f.StartsWith($"Inbox:{key} ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Zero_concurrency_is_an_instance_that_only_receives()
    {
        Assert.True(new InboxOptionsValidator().Validate(null, new InboxOptions { Concurrency = 0 }).Succeeded);
    }

    [Fact]
    public void A_retry_cap_below_the_base_delay_is_refused()
    {
        var result = new InboxOptionsValidator().Validate(null, new InboxOptions { RetryBaseDelay = TimeSpan.FromMinutes(2), MaxRetryDelay = TimeSpan.FromMinutes(1) });

        Assert.Contains(result.Failures!, f => f.Contains("must not be shorter than", StringComparison.Ordinal));
    }

    [Fact]
    public void Waits_longer_than_a_day_are_refused()
    {
        var result = new InboxOptionsValidator().Validate(null, new InboxOptions { Lease = TimeSpan.FromDays(2), PollInterval = TimeSpan.FromDays(60) });

        Assert.Contains(result.Failures!, f => f.StartsWith("Inbox:Lease must be at most", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Inbox:PollInterval must be at most", StringComparison.Ordinal));
    }
}
