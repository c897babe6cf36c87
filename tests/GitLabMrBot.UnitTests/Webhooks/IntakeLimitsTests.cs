using GitLabMrBot.Inbox;
using GitLabMrBot.Webhooks;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.UnitTests.Webhooks;

public sealed class IntakeLimitsTests
{
    [Fact]
    public void Budget_reservations_grow_within_the_limit_and_are_released_on_dispose()
    {
        var budget = new WebhookBodyBudget(100);
        var first = budget.Open();
        var second = budget.Open();

        Assert.True(first.TryGrowTo(60));
        Assert.True(first.TryGrowTo(50)); // never shrinks: already holds 60
        Assert.False(second.TryGrowTo(41));
        Assert.True(second.TryGrowTo(40));
        Assert.Equal(100, budget.InFlight);

        first.Dispose();
        Assert.Equal(40, budget.InFlight);
        Assert.True(second.TryGrowTo(100));
        second.Dispose();
        Assert.Equal(0, budget.InFlight);
    }

    [Fact]
    public void Validator_names_every_bad_setting_and_wants_room_for_the_largest_body()
    {
        var validator = new IntakeOptionsValidator(Options.Create(new InboxOptions { MaxBodyBytes = 1000 }));

        var result = validator.Validate(null, new IntakeOptions
        {
            MaxConnections = 0,
            IdleTimeout = TimeSpan.Zero,
            MinBodyBytesPerSecond = -1,
            MaxBodyBytesInFlight = 999,
        });

        Assert.True(result.Failed);
        Assert.Contains("Intake:MaxConnections", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Intake:IdleTimeout", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Intake:MinBodyBytesPerSecond", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Intake:MaxBodyBytesInFlight (999) must be at least Inbox:MaxBodyBytes (1000)", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(validator.Validate(null, new IntakeOptions()).Succeeded);
    }

    [Fact]
    public void Signature_headers_are_checked_before_the_body()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var verifier = new StandardWebhookSignatureVerifier(new byte[32], time);
        var wellFormed = "v1," + Convert.ToBase64String(new byte[32]);

        Assert.Equal(SignatureCheck.Valid, verifier.CheckHeaders("msg_1", "1700000000", wellFormed));
        Assert.Equal(SignatureCheck.Missing, verifier.CheckHeaders("msg_1", null, wellFormed));
        Assert.Equal(SignatureCheck.Stale, verifier.CheckHeaders("msg_1", "1699999000", wellFormed));
        Assert.Equal(SignatureCheck.Mismatch, verifier.CheckHeaders("msg_1", "1700000000", "v2,abc v1,not-base64"));
        Assert.Equal(SignatureCheck.Valid, verifier.CheckHeaders("msg_1", "1700000000", "v1a,x " + wellFormed));
    }
}
