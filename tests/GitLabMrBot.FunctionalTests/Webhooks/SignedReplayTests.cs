using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using GitLabMrBot.FunctionalTests.Infrastructure;

namespace GitLabMrBot.FunctionalTests.Webhooks;

/// <summary>
/// Issue 12, item 7 (defect 8): a signed delivery is recognised by its <c>webhook-id</c>, the only delivery id its
/// signature covers, so replaying it with another or no <c>Idempotency-Key</c> is a duplicate.
/// </summary>
public sealed class SignedReplayTests
{
    [Fact]
    public async Task Defect8_replayed_signed_delivery_with_a_changed_or_removed_idempotency_key_is_a_duplicate()
    {
        await using var host = await BotHost.StartAsync();
        var body = Payloads.MergeRequest(Payloads.UniqueProjectId(), 1);
        var id = "msg_" + Guid.NewGuid().ToString("N");
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = "v1," + Convert.ToBase64String(HMACSHA256.HashData(BotHost.SigningKey, Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(body).ToArray()));

        HttpRequestMessage Signed(string? idempotencyKey)
        {
            var request = BotHost.WebhookRequest("Merge Request Hook", body, token: null, idempotencyKey: idempotencyKey ?? "unused");
            if (idempotencyKey is null)
            {
                request.Headers.Remove("Idempotency-Key");
            }
            request.Headers.Add("webhook-id", id);
            request.Headers.Add("webhook-timestamp", timestamp);
            request.Headers.Add("webhook-signature", signature);
            return request;
        }

        // GitLab sends the webhook-id as the Idempotency-Key too (docs/gitlab-behaviour.md §1.7).
        using var original = await host.Client.SendAsync(Signed(id));
        using var changedKey = await host.Client.SendAsync(Signed(Guid.NewGuid().ToString()));
        using var noKey = await host.Client.SendAsync(Signed(null));

        Assert.Equal(HttpStatusCode.Accepted, original.StatusCode);
        Assert.Equal(HttpStatusCode.OK, changedKey.StatusCode);
        Assert.Contains("\"duplicate\"", await changedKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, noKey.StatusCode);
        Assert.Contains("\"duplicate\"", await noKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(await host.Store.ListAsync(null, CancellationToken.None));
    }
}
