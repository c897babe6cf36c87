using System.Net;
using System.Text.Json.Nodes;

namespace GitLabMrBot.TestGitLab.Tests;

/// <summary>
/// Issue 15, item 1: a person looks at what the bot did at GitLab's own web paths, the <c>web_url</c> the API returns
/// (<c>/acme/app/-/merge_requests</c> and <c>…/-/merge_requests/1</c>); every value is HTML-encoded and nothing external loads.
/// </summary>
public sealed class WebPagesTests : GitLabTestBase
{
    private const string Hostile = "<script>alert(1)</script> & \"quoted\"";

    [Fact]
    public async Task Item1_the_merge_request_list_and_page_live_at_the_web_url_the_API_returns()
    {
        var mr = Server.OpenMergeRequest(Project, Alice, "Style " + Hostile, "styles", files: new Dictionary<string, string?> { ["web/app.css"] = "a {}\n" },
            labels: ["frontend", "<b>bold</b>"], reviewers: [Carol]);
        Server.AddNote(Bob, mr, "Looks good " + Hostile);
        var webUrl = (string)JsonNode.Parse(await Api.GetStringAsync("projects/1/merge_requests/1"))!["web_url"]!;
        using var browser = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        using var page = await browser.GetAsync(new Uri(webUrl));
        using var list = await browser.GetAsync(new Uri(webUrl[..webUrl.LastIndexOf('/')]));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>bold", html, StringComparison.Ordinal);
        Assert.Contains("frontend", html, StringComparison.Ordinal);
        Assert.Contains("@carol", html, StringComparison.Ordinal);
        Assert.Contains("Looks good", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http", html.Replace(webUrl[..webUrl.IndexOf('/', 8)], "", StringComparison.Ordinal), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var listHtml = await list.Content.ReadAsStringAsync();
        Assert.Contains("/acme/app/-/merge_requests/" + mr.Iid, listHtml, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", listHtml, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Item1_an_unknown_merge_request_page_is_a_404_and_the_API_is_unaffected()
    {
        using var browser = new HttpClient { BaseAddress = Server.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };

        using var missing = await browser.GetAsync("acme/app/-/merge_requests/99");
        using var api = await Api.GetAsync("projects/1/merge_requests");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("text/html", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Equal("application/json", api.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Item1_the_server_listens_on_the_port_it_is_given()
    {
        var port = FreePort();
        await using var server = new TestGitLabServer { Port = port };

        await server.StartAsync();

        Assert.Equal(port, server.BaseUrl.Port);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
