using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using GitLabMrBot.Admin;
using GitLabMrBot.Configuration;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;
using Microsoft.Extensions.DependencyInjection;

namespace GitLabMrBot.FunctionalTests.Admin;

/// <summary>Issue 13 item 8 over plain HTTP: the status page's routes, its sign-in and its cross-site protection. The browser test is <see cref="StatusPageBrowserTests"/>.</summary>
public sealed partial class StatusPageTests
{
    private const string AdminSecret = "admin-token-for-status-tests";

    /// <summary>The sign-in cookie's name (README: the status page).</summary>
    private const string CookieName = "mrbot_status";

    private static readonly (HttpMethod Method, string Path)[] Routes =
    [
        (HttpMethod.Get, "/status"),
        (HttpMethod.Post, "/status/sign-in"),
        (HttpMethod.Post, "/status/sign-out"),
        (HttpMethod.Post, "/status/deliveries/1/retry"),
        (HttpMethod.Post, "/status/deliveries/1/drop"),
        (HttpMethod.Get, "/status/merge-requests/1/2"),
    ];

    private static Task<BotHost> StartAsync(string? adminToken, IReadOnlyDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { [AdminToken.Key] = adminToken };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        return BotHost.StartAsync(settings);
    }

    /// <summary>A browser-like client: keeps cookies, does not follow redirects (the tests look at them).</summary>
    private static HttpClient Browser(BotHost host) =>
        new(new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = host.Address,
        };

    [Fact]
    public async Task Item8_without_MRBOT_ADMIN_TOKEN_the_status_routes_do_not_exist()
    {
        await using var host = await StartAsync(adminToken: null);

        foreach (var (method, path) in Routes)
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminSecret);
            using var response = await host.Client.SendAsync(request);
            Assert.Equal((method, path, HttpStatusCode.NotFound), (method, path, response.StatusCode));
        }
    }

    [Fact]
    public async Task Item8_the_status_page_refuses_a_missing_or_wrong_credential_and_shows_the_sign_in_form()
    {
        await using var host = await StartAsync(AdminSecret);

        foreach (var authorize in new Action<HttpRequestMessage>[]
        {
            _ => { },
            r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "wrong-" + AdminSecret),
            r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", BotHost.Secret),
            r => r.Headers.Add("Cookie", $"{CookieName}=not-the-value"),
            // The token itself is not the cookie's value: the cookie holds a value derived from it.
            r => r.Headers.Add("Cookie", $"{CookieName}={AdminSecret}"),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/status");
            authorize(request);
            using var response = await host.Client.SendAsync(request);
            var html = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.StartsWith("text/html", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            Assert.Contains("action=\"/status/sign-in\"", html, StringComparison.Ordinal);
            Assert.DoesNotContain("Dead letters", html, StringComparison.Ordinal);
        }

        // The other routes refuse too: POSTs before anything else is looked at, and the decision view.
        foreach (var (method, path) in Routes.Where(r => r.Path is not "/status" and not "/status/sign-in"))
        {
            using var response = await host.Client.SendAsync(new HttpRequestMessage(method, path));
            Assert.Equal((method, path, HttpStatusCode.Unauthorized), (method, path, response.StatusCode));
        }

        // Scripts keep using the Bearer header.
        using var bearer = new HttpRequestMessage(HttpMethod.Get, "/status");
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminSecret);
        using var page = await host.Client.SendAsync(bearer);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Dead letters", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item8_signing_in_sets_an_HttpOnly_SameSite_Strict_cookie_and_a_wrong_token_is_refused_without_echo()
    {
        await using var host = await StartAsync(AdminSecret);
        using var browser = Browser(host);

        var form = await GetFormAsync(browser, "/status", HttpStatusCode.Unauthorized);
        using var wrong = await browser.PostAsync("/status/sign-in", Form(form, ("token", "wrong-<b>guess</b>")));
        var wrongHtml = await wrong.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("not the admin token", wrongHtml, StringComparison.Ordinal);
        Assert.DoesNotContain("guess", wrongHtml, StringComparison.Ordinal);
        Assert.False(wrong.Headers.TryGetValues("Set-Cookie", out var none) && none.Any(c => c.StartsWith(CookieName + "=", StringComparison.Ordinal)));

        form = await GetFormAsync(browser, "/status", HttpStatusCode.Unauthorized);
        using var right = await browser.PostAsync("/status/sign-in", Form(form, ("token", AdminSecret)));
        Assert.Equal(HttpStatusCode.SeeOther, right.StatusCode);
        Assert.Equal("/status", right.Headers.Location?.OriginalString);
        var cookie = Assert.Single(right.Headers.GetValues("Set-Cookie"), c => c.StartsWith(CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/status", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(AdminSecret, cookie, StringComparison.Ordinal);
        // Plain HTTP here: Secure would make the browser drop it. Over HTTPS it is set (the status sign-in).
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);

        using var page = await browser.GetAsync("/status");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Dead letters", html, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminSecret, html, StringComparison.Ordinal);

        // Signing out forgets the cookie.
        var signedIn = await GetFormAsync(browser, "/status", HttpStatusCode.OK, "/status/sign-out");
        using var signOut = await browser.PostAsync("/status/sign-out", Form(signedIn));
        Assert.Equal(HttpStatusCode.SeeOther, signOut.StatusCode);
        using var after = await browser.GetAsync("/status");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Item8_a_POST_without_the_antiforgery_token_is_refused_and_changes_nothing()
    {
        await using var host = await StartAsync(AdminSecret, new Dictionary<string, string?> { ["Inbox:MaxAttempts"] = "1" });
        var id = await DeadLetterAsync(host);
        using var browser = Browser(host);
        var form = await GetFormAsync(browser, "/status", HttpStatusCode.Unauthorized);
        using var signIn = await browser.PostAsync("/status/sign-in", Form(form, ("token", AdminSecret)));
        Assert.Equal(HttpStatusCode.SeeOther, signIn.StatusCode);

        // Signed in (the cookie goes along, as a cross-site form's would), but no antiforgery field.
        using var forged = await browser.PostAsync($"/status/deliveries/{id}/retry", new FormUrlEncodedContent([]));
        using var forgedDrop = await browser.PostAsync($"/status/deliveries/{id}/drop", new FormUrlEncodedContent([new("__RequestVerificationToken", "forged")]));
        // Nor does signing in work without it (a cross-site sign-in would put the victim in the attacker's session).
        using var forgedSignIn = await Browser(host).PostAsync("/status/sign-in", new FormUrlEncodedContent([new("token", AdminSecret)]));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, forgedDrop.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, forgedSignIn.StatusCode);
        Assert.Equal(DeliveryStatus.Dead, (await ((IInboxAdmin)host.Store).GetAsync(id, CancellationToken.None))!.Status);

        // With the field from the page the same POST works, and says what happened on the page it redirects to.
        var page = await GetFormAsync(browser, "/status", HttpStatusCode.OK, $"/status/deliveries/{id}/retry");
        using var retry = await browser.PostAsync($"/status/deliveries/{id}/retry", Form(page));
        Assert.Equal(HttpStatusCode.SeeOther, retry.StatusCode);
        using var shown = await browser.GetAsync(retry.Headers.Location);
        Assert.Contains($"Delivery {id} re-queued", await shown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // A delivery that is not dead (here one scheduled for later) is left alone, and the page says so.
        var waiting = (await host.Store.AppendAsync(
            new NewDelivery("later-1", "Note Hook", "mr:77:2", null, DateTimeOffset.UtcNow, "{}"u8.ToArray()) { NotBefore = DateTimeOffset.UtcNow.AddHours(1) },
            CancellationToken.None)).DeliveryId;
        using var again = await browser.PostAsync($"/status/deliveries/{waiting}/retry", Form(page));
        using var missing = await browser.PostAsync("/status/deliveries/999999/drop", Form(page));
        Assert.Contains("was not dead", await (await browser.GetAsync(again.Headers.Location)).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("The store has no delivery 999999", await (await browser.GetAsync(missing.Headers.Location)).Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item8_the_page_names_the_config_in_force_by_its_hash_and_counts_refused_reloads()
    {
        await using var host = await StartAsync(AdminSecret);
        var config = host.Services.GetRequiredService<PolicyConfigProvider>();
        var hash = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(config.Path)))[..12];

        var before = await PageAsync(host);
        await File.WriteAllTextAsync(config.Path, "{ not json");
        Assert.False(config.Reload().IsValid);
        var after = await PageAsync(host);

        Assert.Contains($"<code>{hash}</code>", before, StringComparison.Ordinal);
        Assert.Contains("0 accepted, ", before, StringComparison.Ordinal);
        Assert.Contains(">0 refused<", before, StringComparison.Ordinal);
        // The refused edit leaves the previous config in force, and the page says one was refused.
        Assert.Contains($"<code>{hash}</code>", after, StringComparison.Ordinal);
        Assert.Contains(">1 refused<", after, StringComparison.Ordinal);
        Assert.Contains("SQLite ", after, StringComparison.Ordinal);

        static async Task<string> PageAsync(BotHost host)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/status");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminSecret);
            using var response = await host.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }
    }

    internal static async Task<string> DeadLetterAsync(BotHost host)
    {
        var id = (await host.Store.AppendAsync(
            new NewDelivery("dead-1", "Note Hook", "mr:77:1", null, DateTimeOffset.UtcNow, "not json: no object_kind"u8.ToArray()), CancellationToken.None)).DeliveryId;
        await Eventually.HoldsAsync(async () => (await ((IInboxAdmin)host.Store).GetAsync(id, CancellationToken.None))!.Status == DeliveryStatus.Dead, "the delivery is dead");
        return id;
    }

    /// <summary>Reads a page and the antiforgery field of its form that posts to <paramref name="action"/>.</summary>
    private static async Task<string> GetFormAsync(HttpClient browser, string path, HttpStatusCode expected, string action = "/status/sign-in")
    {
        using var response = await browser.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(expected, response.StatusCode);
        var form = html[html.IndexOf($"action=\"{action}\"", StringComparison.Ordinal)..];
        return AntiforgeryField().Match(form) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException($"No antiforgery field in the form posting to {action}:\n{html}");
    }

    private static FormUrlEncodedContent Form(string antiforgery, params (string Name, string Value)[] fields) =>
        new([new("__RequestVerificationToken", antiforgery), .. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))]);

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
