using System.Net;
using System.Net.Http.Json;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GitLabMrBot.TestGitLab.Tests;

/// <summary>
/// What a real self-managed instance does that the bot's setup meets: a hook's token reset on a URL change, internal
/// notes on their own hook event, OAuth tokens only as Bearer, a relative URL root, and HTTPS with an internal CA.
/// </summary>
public sealed class SelfManagedTests : GitLabTestBase
{
    private HttpClient OwnerApi { get; set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var owner = Server.AddUser("ops");
        Server.AddMember(Group, owner, AccessLevel.Owner);
        OwnerApi = NewClient(owner.Token);
    }

    public override async Task DisposeAsync()
    {
        OwnerApi.Dispose();
        await base.DisposeAsync();
    }

    // ---- hook token (docs/gitlab-behaviour.md §3.6) ----

    [Fact]
    public async Task A_url_that_differs_only_by_a_trailing_slash_or_case_is_a_new_url_and_clears_the_token_unless_one_is_sent()
    {
        var slash = await CreateHookAsync("https://Bot.example.com/webhooks/gitlab/", "secret-1");
        var withToken = await CreateHookAsync("https://Bot.example.com/webhooks/gitlab/", "secret-2");
        var sameUrl = await CreateHookAsync("https://bot.example.com/webhooks/gitlab", "secret-3");

        await OwnerApi.PutAsJsonAsync($"projects/{Project.Id}/hooks/{slash}", new { url = "https://Bot.example.com/webhooks/gitlab" });
        await OwnerApi.PutAsJsonAsync($"projects/{Project.Id}/hooks/{withToken}", new { url = "https://bot.example.com/webhooks/gitlab", token = "secret-2" });
        await OwnerApi.PutAsJsonAsync($"projects/{Project.Id}/hooks/{sameUrl}", new { url = "https://bot.example.com/webhooks/gitlab", note_events = true });

        var hooks = Server.GetHooks().ToDictionary(h => h.Id);
        Assert.Equal(("https://Bot.example.com/webhooks/gitlab", null), (hooks[slash].Url, hooks[slash].Token));
        Assert.Equal(("https://bot.example.com/webhooks/gitlab", "secret-2"), (hooks[withToken].Url, hooks[withToken].Token));
        Assert.Equal("secret-3", hooks[sameUrl].Token);
    }

    // ---- internal notes (docs/gitlab-behaviour.md §1.8) ----

    [Fact]
    public async Task Confidential_note_events_is_null_unless_set_and_can_be_turned_on()
    {
        var id = await CreateHookAsync("https://bot.example.com/webhooks/gitlab", "t", noteEvents: true);
        var created = await Json(await OwnerApi.GetAsync($"projects/{Project.Id}/hooks/{id}"));
        Assert.Null(created["confidential_note_events"]);
        Assert.Null(Server.GetHooks().Single(h => h.Id == id).Events.ConfidentialNotes);

        var updated = await Json(await OwnerApi.PutAsJsonAsync($"projects/{Project.Id}/hooks/{id}", new { url = "https://bot.example.com/webhooks/gitlab", confidential_note_events = true }));

        Assert.True((bool)updated["confidential_note_events"]!);
        Assert.True((bool)updated["note_events"]!);
    }

    [Fact]
    public async Task An_internal_note_fires_Confidential_Note_Hook_only_to_hooks_with_confidential_note_events()
    {
        await using var notesOnly = await HookReceiver.StartAsync();
        Server.AddHook(Project, notesOnly.Url, "n", new HookEvents(Push: false, MergeRequests: false, Notes: true, ConfidentialNotes: false));
        await using var internalOnly = await HookReceiver.StartAsync();
        Server.AddHook(Project, internalOnly.Url, "i", new HookEvents(Push: false, MergeRequests: false, Notes: false, ConfidentialNotes: true));
        var mr = OpenMr();

        Server.AddInternalNote(Alice, mr, "@mrbot recheck");
        Server.AddNote(Alice, mr, "public");
        var viaApi = await NewClient(Alice.Token).PostAsJsonAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/notes", new { body = "internal too", @internal = true });
        Assert.Equal(HttpStatusCode.Created, viaApi.StatusCode);
        await Server.WaitForDeliveriesAsync();

        Assert.Equal(["Note Hook"], notesOnly.Received.Select(r => r.Headers["X-Gitlab-Event"]));
        Assert.Equal("public", (string)notesOnly.Received[0].Payload["object_attributes"]!["note"]!);
        Assert.Equal(["Confidential Note Hook", "Confidential Note Hook"], internalOnly.Received.Select(r => r.Headers["X-Gitlab-Event"]));
        var first = internalOnly.Received[0].Payload;
        Assert.Equal("note", (string)first["object_kind"]!);
        Assert.Equal("confidential_note", (string)first["event_type"]!);
        Assert.Equal("@mrbot recheck", (string)first["object_attributes"]!["note"]!);
        // The base class's group hook has every event: it gets both kinds.
        Assert.Equal(2, Receiver.Received.Count(r => r.Headers["X-Gitlab-Event"] == "Confidential Note Hook"));
    }

    // ---- OAuth tokens (docs/gitlab-behaviour.md §3) ----

    [Fact]
    public async Task An_oauth_token_works_only_as_a_bearer_token_and_cannot_describe_itself()
    {
        var oauth = Server.CreateOAuthToken(Bot);
        using var bearer = new HttpClient { BaseAddress = Server.ApiUrl };
        bearer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", oauth);
        using var asPrivate = NewClient(oauth);
        using var patAsBearer = new HttpClient { BaseAddress = Server.ApiUrl };
        patAsBearer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Bot.Token);

        var user = await bearer.GetAsync("user");
        Assert.Equal(HttpStatusCode.OK, user.StatusCode);
        Assert.Equal("mrbot", (string)(await Json(user))["username"]!);
        Assert.Equal(HttpStatusCode.Unauthorized, (await asPrivate.GetAsync("user")).StatusCode);
        var self = await bearer.GetAsync("personal_access_tokens/self");
        Assert.Equal(HttpStatusCode.BadRequest, self.StatusCode);
        Assert.Equal("400 Bad request - This endpoint requires token type to be a personal access token", (string)(await Json(self))["message"]!);
        Assert.Equal(HttpStatusCode.OK, (await patAsBearer.GetAsync("personal_access_tokens/self")).StatusCode);
    }

    // ---- relative URL root (docs/gitlab-behaviour.md §3) ----

    [Fact]
    public async Task Under_a_relative_url_root_the_api_and_web_urls_carry_it_and_the_bare_path_is_not_found()
    {
        await using var gitlab = new TestGitLabServer { PathBase = "/gitlab" };
        await gitlab.StartAsync();
        var bot = gitlab.AddUser("mrbot", bot: true);
        var project = gitlab.AddProject("acme/app");
        gitlab.AddMember(project, bot, AccessLevel.Developer);
        await using var receiver = await HookReceiver.StartAsync();
        gitlab.AddHook(project, receiver.Url, "s");
        using var api = new HttpClient { BaseAddress = gitlab.ApiUrl };
        api.DefaultRequestHeaders.Add("PRIVATE-TOKEN", bot.Token);

        Assert.EndsWith("/gitlab/", gitlab.BaseUrl.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal("/gitlab/api/v4/", gitlab.ApiUrl.AbsolutePath);
        var found = await api.GetAsync($"projects/{project.Id}");
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal($"{gitlab.BaseUrl}acme/app", (string)(await Json(found))["web_url"]!);
        var bare = await api.GetAsync(new Uri(gitlab.BaseUrl, $"/api/v4/projects/{project.Id}"));
        Assert.Equal(HttpStatusCode.NotFound, bare.StatusCode);
        Assert.Equal([$"/projects/{project.Id}", $"/api/v4/projects/{project.Id}"], gitlab.Requests.Select(r => r.Path));

        var mr = gitlab.OpenMergeRequest(project, bot, "Change", "feature", files: new Dictionary<string, string?> { ["a.txt"] = "a\n" });
        await gitlab.WaitForDeliveriesAsync();
        var open = receiver.Received.Single(r => r.Headers["X-Gitlab-Event"] == "Merge Request Hook");
        Assert.Equal($"{gitlab.BaseUrl}acme/app/-/merge_requests/{mr.Iid}", (string)open.Payload["object_attributes"]!["url"]!);
        Assert.Equal(gitlab.BaseUrl.GetLeftPart(UriPartial.Authority), open.Headers["X-Gitlab-Instance"]);
    }

    // ---- HTTPS behind an internal CA ----

    [Fact]
    public async Task With_a_certificate_it_serves_https_that_only_a_client_trusting_that_certificate_accepts()
    {
        using var certificate = SelfSigned();
        await using var gitlab = new TestGitLabServer { Certificate = certificate };
        await gitlab.StartAsync();
        var user = gitlab.AddUser("mrbot", bot: true);

        Assert.Equal("https", gitlab.BaseUrl.Scheme);
        using (var untrusting = new HttpClient { BaseAddress = gitlab.ApiUrl })
        {
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync("version"));
            Assert.IsType<AuthenticationException>(refused.InnerException);
        }

        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint,
        };
        using var trusting = new HttpClient(handler) { BaseAddress = gitlab.ApiUrl };
        trusting.DefaultRequestHeaders.Add("PRIVATE-TOKEN", user.Token);
        Assert.Equal(HttpStatusCode.OK, (await trusting.GetAsync("version")).StatusCode);
    }

    private async Task<int> CreateHookAsync(string url, string token, bool noteEvents = false)
    {
        var response = await OwnerApi.PostAsJsonAsync($"projects/{Project.Id}/hooks", new { url, token, note_events = noteEvents });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (int)(await Json(response))["id"]!;
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=gitlab.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddHours(1));
    }
}
