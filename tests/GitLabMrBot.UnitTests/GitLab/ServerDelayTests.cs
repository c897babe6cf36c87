using System.Net;
using GitLabMrBot.GitLab;

namespace GitLabMrBot.UnitTests.GitLab;

/// <summary>Retry-After and RateLimit-Reset are read in one place, for the retry pipeline and for the errors the client raises.</summary>
public sealed class ServerDelayTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1772366400);

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, "120", null, 120)]
    [InlineData(HttpStatusCode.TooManyRequests, null, "1772366430", 30)]
    [InlineData(HttpStatusCode.TooManyRequests, "5", "1772366430", 5)]
    [InlineData(HttpStatusCode.ServiceUnavailable, null, "1772366430", null)]
    [InlineData(HttpStatusCode.TooManyRequests, null, null, null)]
    public void Headers_and_whole_responses_give_the_same_wait(HttpStatusCode status, string? retryAfter, string? reset, int? seconds)
    {
        using var response = new HttpResponseMessage(status);
        if (retryAfter is not null)
        {
            response.Headers.TryAddWithoutValidation("Retry-After", retryAfter);
        }
        if (reset is not null)
        {
            response.Headers.TryAddWithoutValidation("RateLimit-Reset", reset);
        }
        var expected = seconds is { } s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;

        Assert.Equal(expected, GitLabRetryRules.ServerDelay(status, response.Headers, Now));
        Assert.Equal(expected, GitLabRetryRules.ServerDelay(response, Now));
    }

    [Fact]
    public void An_http_date_counts_from_now_and_a_past_one_means_at_once()
    {
        using var later = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        later.Headers.TryAddWithoutValidation("Retry-After", Now.AddMinutes(2).ToString("r"));
        using var past = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        past.Headers.TryAddWithoutValidation("Retry-After", Now.AddMinutes(-2).ToString("r"));

        Assert.Equal(TimeSpan.FromMinutes(2), GitLabRetryRules.ServerDelay(later.StatusCode, later.Headers, Now));
        Assert.Equal(TimeSpan.Zero, GitLabRetryRules.ServerDelay(past.StatusCode, past.Headers, Now));
    }
}
