using System.Net;
using GitLabMrBot.GitLab;
using Polly;

namespace GitLabMrBot.UnitTests.GitLab;

public sealed class GitLabRetryRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("1", null, 1)]
    [InlineData(" 30 ", null, 30)]
    [InlineData("0", null, 0)]
    [InlineData("Sun, 01 Mar 2026 12:00:45 GMT", null, 45)]
    [InlineData("Sun, 01 Mar 2026 11:00:00 GMT", null, 0)]
    [InlineData(null, "1772366410", 10)]
    [InlineData(null, "20", 20)]
    [InlineData("5", "1772366410", 5)]
    [InlineData("soon", "1772366407", 7)]
    public void Server_delay_reads_Retry_After_seconds_or_date_then_RateLimit_Reset(string? retryAfter, string? reset, int expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), GitLabRetryRules.ParseServerDelay(retryAfter, reset, Now));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", "")]
    [InlineData("soon", "later")]
    [InlineData("-5", "-1")]
    public void Server_delay_is_null_without_a_usable_header(string? retryAfter, string? reset)
    {
        Assert.Null(GitLabRetryRules.ParseServerDelay(retryAfter, reset, Now));
    }

    [Fact]
    public void Server_delay_reads_RateLimit_Reset_only_on_429()
    {
        using var throttled = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        throttled.Headers.TryAddWithoutValidation("RateLimit-Reset", "1772366403");
        using var ok = new HttpResponseMessage(HttpStatusCode.OK);
        ok.Headers.TryAddWithoutValidation("RateLimit-Reset", "1772366403");

        Assert.Equal(TimeSpan.FromSeconds(3), GitLabRetryRules.ServerDelay(throttled, Now));
        Assert.Null(GitLabRetryRules.ServerDelay(ok, Now));
    }

    [Theory]
    [InlineData("GET", true)]
    [InlineData("HEAD", true)]
    [InlineData("PUT", true)]
    [InlineData("DELETE", true)]
    [InlineData("POST", false)]
    [InlineData("PATCH", false)]
    public void Only_methods_that_carry_the_full_state_are_retry_safe(string method, bool safe)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), "http://gitlab.test/api/v4/x");

        Assert.Equal(safe, GitLabRetryRules.IsRetrySafe(request));
    }

    [Fact]
    public void A_POST_is_retry_safe_only_when_marked()
    {
        using var marked = new HttpRequestMessage(HttpMethod.Post, "http://gitlab.test/api/v4/projects/1/labels");
        marked.Options.Set(new HttpRequestOptionsKey<object?>(GitLabRetryRules.RetrySafeOption), true);
        using var unmarked = new HttpRequestMessage(HttpMethod.Post, "http://gitlab.test/api/v4/projects/1/labels");
        using var markedFalse = new HttpRequestMessage(HttpMethod.Post, "http://gitlab.test/api/v4/projects/1/labels");
        markedFalse.Options.Set(new HttpRequestOptionsKey<object?>(GitLabRetryRules.RetrySafeOption), false);

        Assert.True(GitLabRetryRules.IsRetrySafe(marked));
        Assert.False(GitLabRetryRules.IsRetrySafe(unmarked));
        Assert.False(GitLabRetryRules.IsRetrySafe(markedFalse));
        Assert.False(GitLabRetryRules.IsRetrySafe(null));
    }

    [Theory]
    [InlineData(429)]
    [InlineData(500)]
    public void A_request_marked_no_repeat_is_never_sent_again_by_the_pipeline_even_after_a_429(int status)
    {
        using var people = new HttpRequestMessage(HttpMethod.Put, "http://gitlab.test/api/v4/projects/1/merge_requests/2");
        people.Options.Set(new HttpRequestOptionsKey<object?>(GitLabRetryRules.NoRepeatOption), true);
        using var labels = new HttpRequestMessage(HttpMethod.Put, "http://gitlab.test/api/v4/projects/1/merge_requests/2");
        using var peopleAnswer = new HttpResponseMessage((HttpStatusCode)status) { RequestMessage = people };
        using var labelsAnswer = new HttpResponseMessage((HttpStatusCode)status) { RequestMessage = labels };
        var context = ResilienceContextPool.Shared.Get();

        Assert.True(GitLabRetryRules.ForbidsRepeat(people));
        Assert.False(GitLabRetryRules.ForbidsRepeat(labels));
        Assert.False(GitLabResilience.ShouldRetry(Outcome.FromResult(peopleAnswer), context, new GitLabClientOptions(), TimeProvider.System));
        Assert.True(GitLabResilience.ShouldRetry(Outcome.FromResult(labelsAnswer), context, new GitLabClientOptions(), TimeProvider.System));
        ResilienceContextPool.Shared.Return(context);
    }

    [Theory]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(400, false)]
    [InlineData(401, false)]
    [InlineData(404, false)]
    [InlineData(409, false)]
    [InlineData(422, false)]
    public void Transient_statuses_are_408_429_and_5xx(int status, bool transient)
    {
        Assert.Equal(transient, GitLabRetryRules.IsTransientStatus((HttpStatusCode)status));
    }
}
