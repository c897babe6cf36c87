using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using GitLabMrBot.Admin;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;

namespace GitLabMrBot.FunctionalTests.Admin;

/// <summary>Issue 13 item 7 (the operator API is protected) and item 6 over HTTP (dead letters), on the real host.</summary>
public sealed class AdminApiTests
{
    private const string AdminSecret = "admin-token-for-tests";

    /// <summary>Every admin route with a concrete id.</summary>
    private static readonly (HttpMethod Method, string Path)[] Routes =
    [
        (HttpMethod.Get, "/api/deliveries"),
        (HttpMethod.Get, "/api/deliveries?state=dead"),
        (HttpMethod.Get, "/api/deliveries/1"),
        (HttpMethod.Post, "/api/deliveries/1/retry"),
        (HttpMethod.Delete, "/api/deliveries/1"),
        (HttpMethod.Get, "/api/merge-requests/1/2/decisions"),
    ];

    private static Task<BotHost> StartAsync(string? adminToken) =>
        BotHost.StartAsync(new Dictionary<string, string?> { [AdminToken.Key] = adminToken });

    private static async Task<HttpStatusCode> SendAsync(BotHost host, HttpMethod method, string path, Action<HttpRequestMessage>? authorize = null)
    {
        using var request = new HttpRequestMessage(method, path);
        authorize?.Invoke(request);
        using var response = await host.Client.SendAsync(request);
        return response.StatusCode;
    }

    private static Action<HttpRequestMessage> Bearer(string token) =>
        r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

    [Fact]
    public void Item7_the_test_covers_every_route_the_module_maps()
    {
        var covered = Routes.Select(r => (r.Method.Method, Template(r.Path))).Distinct().Order().ToList();
        Assert.Equal(AdminModule.Routes.Order().ToList(), covered);

        static string Template(string path) => path.Split('?')[0] switch
        {
            "/api/deliveries/1" => "/api/deliveries/{id}",
            "/api/deliveries/1/retry" => "/api/deliveries/{id}/retry",
            "/api/merge-requests/1/2/decisions" => "/api/merge-requests/{projectId}/{iid}/decisions",
            var p => p,
        };
    }

    [Fact]
    public async Task Item7_every_admin_route_refuses_a_missing_or_wrong_token_and_the_webhook_secret_with_401()
    {
        await using var host = await StartAsync(AdminSecret);

        foreach (var (method, path) in Routes)
        {
            Assert.Equal((method, path, HttpStatusCode.Unauthorized), (method, path, await SendAsync(host, method, path)));
            Assert.Equal((method, path, HttpStatusCode.Unauthorized), (method, path, await SendAsync(host, method, path, Bearer("wrong-" + AdminSecret))));
            Assert.Equal((method, path, HttpStatusCode.Unauthorized), (method, path, await SendAsync(host, method, path, Bearer(AdminSecret[..^1]))));
            Assert.Equal((method, path, HttpStatusCode.Unauthorized), (method, path, await SendAsync(host, method, path, Bearer(BotHost.Secret))));
            Assert.Equal((method, path, HttpStatusCode.Unauthorized), (method, path, await SendAsync(host, method, path,
                r => r.Headers.Add("X-Gitlab-Token", BotHost.Secret))));
            // The token in another scheme is not the token.
            Assert.Equal((method, path, HttpStatusCode.Unauthorized), (method, path, await SendAsync(host, method, path,
                r => r.Headers.Authorization = new AuthenticationHeaderValue("Basic", AdminSecret))));
            // And the right one opens it (200, or 404 for a delivery the store does not have).
            var opened = await SendAsync(host, method, path, Bearer(AdminSecret));
            Assert.True(opened is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{method} {path} with the admin token answered {opened}");
        }
    }

    [Fact]
    public async Task Item7_without_MRBOT_ADMIN_TOKEN_the_admin_routes_do_not_exist()
    {
        await using var host = await StartAsync(adminToken: null);

        foreach (var (method, path) in Routes)
        {
            Assert.Equal((method, path, HttpStatusCode.NotFound), (method, path, await SendAsync(host, method, path)));
            Assert.Equal((method, path, HttpStatusCode.NotFound), (method, path, await SendAsync(host, method, path, Bearer(BotHost.Secret))));
            Assert.Equal((method, path, HttpStatusCode.NotFound), (method, path, await SendAsync(host, method, path, Bearer(AdminSecret))));
        }
    }

    [Fact]
    public async Task Item7_an_admin_token_that_is_a_webhook_secret_opens_nothing()
    {
        await using var host = await StartAsync(BotHost.PreviousSecret);

        foreach (var (method, path) in Routes)
        {
            Assert.Equal((method, path, HttpStatusCode.NotFound), (method, path, await SendAsync(host, method, path, Bearer(BotHost.PreviousSecret))));
        }
        Assert.Contains(host.Logs.Entries, e => e.Message.Contains("Operator API off", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Item6_a_dead_letter_is_listed_shown_retried_once_and_then_dropped_over_http()
    {
        // One attempt allowed: a payload that cannot be read is a dead letter at once.
        await using var host = await BotHost.StartAsync(new Dictionary<string, string?> { [AdminToken.Key] = AdminSecret, ["Inbox:MaxAttempts"] = "1" });
        host.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminSecret);
        var admin = (IInboxAdmin)host.Store;
        var id = (await host.Store.AppendAsync(
            new NewDelivery("dead-1", "Note Hook", "mr:77:1", null, DateTimeOffset.UtcNow, "not json: no object_kind"u8.ToArray()), CancellationToken.None)).DeliveryId;
        var waiting = (await host.Store.AppendAsync(
            new NewDelivery("later-1", "Note Hook", "mr:77:2", null, DateTimeOffset.UtcNow, "{}"u8.ToArray()) { NotBefore = DateTimeOffset.UtcNow.AddHours(1) },
            CancellationToken.None)).DeliveryId;
        await Eventually.HoldsAsync(async () => (await admin.GetAsync(id, CancellationToken.None))!.Status == DeliveryStatus.Dead, "the delivery is dead");

        var dead = await GetJsonAsync(host, "/api/deliveries");
        var pending = await GetJsonAsync(host, "/api/deliveries?state=pending");
        var shown = await GetJsonAsync(host, $"/api/deliveries/{id}");
        using var bad = await host.Client.GetAsync("/api/deliveries?state=zombie");

        Assert.Equal([id], dead.EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        Assert.Equal("dead", dead[0].GetProperty("state").GetString());
        Assert.Contains("could not be read", dead[0].GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Equal([waiting], pending.EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        Assert.Equal("not json: no object_kind", shown.GetProperty("body").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var first = await PostJsonAsync(host, $"/api/deliveries/{id}/retry");
        Assert.True(first.GetProperty("requeued").GetBoolean());
        Assert.Equal("pending", first.GetProperty("delivery").GetProperty("state").GetString());
        Assert.Equal(0, first.GetProperty("delivery").GetProperty("attempts").GetInt32());
        // The worker takes it again at once: it fails again (the payload is what it is) and is a dead letter again.
        await Eventually.HoldsAsync(async () => (await admin.GetAsync(id, CancellationToken.None)) is { Status: DeliveryStatus.Dead, Attempts: 1 }, "the retried delivery ran again");
        // Retrying what is not dead changes nothing and says its state.
        var notDead = await PostJsonAsync(host, $"/api/deliveries/{waiting}/retry");
        Assert.False(notDead.GetProperty("requeued").GetBoolean());
        Assert.Equal("pending", notDead.GetProperty("delivery").GetProperty("state").GetString());

        using var dropped = await host.Client.DeleteAsync($"/api/deliveries/{id}");
        using var gone = await host.Client.GetAsync($"/api/deliveries/{id}");
        using var retryGone = await host.Client.PostAsync($"/api/deliveries/{id}/retry", null);
        Assert.Equal(HttpStatusCode.NoContent, dropped.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, retryGone.StatusCode);
        Assert.Empty((await GetJsonAsync(host, "/api/deliveries")).EnumerateArray());
    }

    [Fact]
    public async Task Item6_a_delivery_still_waiting_is_not_dropped()
    {
        await using var host = await StartAsync(AdminSecret);
        host.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminSecret);
        var id = (await host.Store.AppendAsync(
            new NewDelivery("later-1", "Note Hook", "ops:later", null, DateTimeOffset.UtcNow, "{}"u8.ToArray()) { NotBefore = DateTimeOffset.UtcNow.AddHours(1) },
            CancellationToken.None)).DeliveryId;

        using var refused = await host.Client.DeleteAsync($"/api/deliveries/{id}");

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("pending", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(await ((IInboxAdmin)host.Store).GetAsync(id, CancellationToken.None));
    }

    private static async Task<JsonElement> GetJsonAsync(BotHost host, string path)
    {
        using var response = await host.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static async Task<JsonElement> PostJsonAsync(BotHost host, string path)
    {
        using var response = await host.Client.PostAsync(path, null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
