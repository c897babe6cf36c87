using System.Net;
using System.Text;
using GitLabMrBot.FunctionalTests.Infrastructure;

namespace GitLabMrBot.FunctionalTests.Webhooks;

/// <summary>Our limit, not Kestrel's, decides what is too large for the webhook.</summary>
public sealed class BodyLimitTests
{
    [Fact]
    public async Task Body_over_kestrels_limit_but_under_ours_is_accepted()
    {
        await using var host = await BotHost.StartAsync(new Dictionary<string, string?>
        {
            ["Kestrel:Limits:MaxRequestBodySize"] = "1024",
            ["Inbox:MaxBodyBytes"] = "1048576",
        });
        var body = Payloads.MergeRequest(Payloads.UniqueProjectId(), 1);
        Assert.True(body.Length > 1024);

        using var accepted = await host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", body));
        using var tooLarge = await host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", new byte[1048577]));

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Contains("1048576", await tooLarge.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Default_limit_is_25_mb()
    {
        await using var host = await BotHost.StartAsync();
        // Content-Length alone decides: the client sends headers first and the server answers before the body matters.
        var body = new byte[(25 * 1024 * 1024) + 1];

        using var response = await host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", body));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes((25 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture))), await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
