using System.Net;
using GitLabMrBot.GitLab;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;

namespace GitLabMrBot.UnitTests.GitLab;

/// <summary>Which failures the inbox defers (GitLab down or asking to wait) and which count as the delivery's attempt.</summary>
public sealed class GitLabOutageTests
{
    private static readonly TimeSpan Break = TimeSpan.FromSeconds(15);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly GitLabOutage _outage;

    public GitLabOutageTests() => _outage = new GitLabOutage(
        Options.Create(new GitLabCircuitOptions { BreakDuration = Break }),
        Options.Create(new GitLabClientOptions { MaxRetryDelay = TimeSpan.FromSeconds(60) }),
        _time);

    private static GitLabApiException Answer(HttpStatusCode? status, TimeSpan? retryAfter = null, Exception? inner = null) =>
        new("GET", "/projects/1/merge_requests/1", status, "x", retryAfter, inner);

    [Fact]
    public void A_call_turned_away_by_the_open_circuit_waits_for_the_break_to_end()
    {
        _outage.Opened(Break);
        _time.Advance(TimeSpan.FromSeconds(5));

        var at = _outage.DeferUntil(Answer(null, inner: new BrokenCircuitException()));

        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(10), at);
    }

    [Fact]
    public void While_a_probe_is_out_the_others_look_again_a_second_later()
    {
        _outage.Opened(Break);
        _time.Advance(Break + TimeSpan.FromSeconds(1));

        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(1), _outage.DeferUntil(new BrokenCircuitException()));
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public void A_Retry_After_longer_than_the_pipeline_honours_is_waited_for_without_an_attempt(HttpStatusCode status)
    {
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(120), _outage.DeferUntil(Answer(status, TimeSpan.FromSeconds(120))));
    }

    [Fact]
    public void A_short_Retry_After_or_none_is_an_ordinary_failure_while_the_circuit_is_closed()
    {
        Assert.Null(_outage.DeferUntil(Answer(HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(30))));
        Assert.Null(_outage.DeferUntil(Answer(HttpStatusCode.InternalServerError)));
        Assert.Null(_outage.DeferUntil(Answer(null, inner: new HttpRequestException("refused"))));
    }

    [Fact]
    public void A_transient_failure_while_the_circuit_is_open_is_the_outage_but_a_4xx_stays_the_deliverys()
    {
        _outage.Opened(Break);

        Assert.Equal(_time.GetUtcNow() + Break, _outage.DeferUntil(Answer(HttpStatusCode.BadGateway)));
        Assert.Equal(_time.GetUtcNow() + Break, _outage.DeferUntil(new InvalidOperationException("wrapped", Answer(null))));
        Assert.Null(_outage.DeferUntil(Answer(HttpStatusCode.NotFound)));
        Assert.Null(_outage.DeferUntil(new InvalidOperationException("a bug")));
    }

    [Fact]
    public void Once_the_circuit_closed_failures_count_again()
    {
        _outage.Opened(Break);
        _outage.Closed();

        Assert.False(_outage.IsDown);
        Assert.Null(_outage.DeferUntil(Answer(HttpStatusCode.BadGateway)));
    }
}
