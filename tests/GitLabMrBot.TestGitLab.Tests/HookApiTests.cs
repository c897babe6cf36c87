using System.Net;
using System.Net.Http.Json;

namespace GitLabMrBot.TestGitLab.Tests;

/// <summary>The hooks, groups, version and token endpoints, group hooks on and off, and hook auto-disabling.</summary>
public sealed class HookApiTests : GitLabTestBase
{
    private GitLabUser Owner { get; set; } = null!;

    private HttpClient OwnerApi { get; set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Owner = Server.AddUser("ops");
        Server.AddMember(Group, Owner, AccessLevel.Owner);
        OwnerApi = NewClient(Owner.Token);
    }

    public override async Task DisposeAsync()
    {
        OwnerApi.Dispose();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task Project_hook_create_list_update_delete_follow_GitLabs_shape_and_never_show_the_token()
    {
        var create = await OwnerApi.PostAsJsonAsync($"projects/{Project.Id}/hooks", new { url = "https://bot.example.com/webhooks/gitlab", token = "t0p", merge_requests_events = true, note_events = true });
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var hook = await Json(create);
        var id = (int)hook["id"]!;

        Assert.Equal(Project.Id, (int)hook["project_id"]!);
        Assert.True((bool)hook["push_events"]!);
        Assert.True((bool)hook["merge_requests_events"]!);
        Assert.True((bool)hook["enable_ssl_verification"]!);
        Assert.False((bool)hook["issues_events"]!);
        Assert.Equal("executable", (string)hook["alert_status"]!);
        Assert.Null(hook["disabled_until"]);
        Assert.False(hook.AsObject().ContainsKey("token"));

        var update = await OwnerApi.PutAsJsonAsync($"projects/{Project.Id}/hooks/{id}", new { note_events = false, enable_ssl_verification = false });
        var updated = await Json(update);
        Assert.False((bool)updated["note_events"]!);
        Assert.False((bool)updated["enable_ssl_verification"]!);
        Assert.True((bool)updated["merge_requests_events"]!);
        Assert.Equal("t0p", Server.GetHooks().Single(h => h.Id == id).Token);

        var list = (await Json(await OwnerApi.GetAsync($"projects/{Project.Id}/hooks"))).AsArray();
        Assert.Equal([id], list.Select(h => (int)h!["id"]!));

        Assert.Equal(HttpStatusCode.NoContent, (await OwnerApi.DeleteAsync($"projects/{Project.Id}/hooks/{id}")).StatusCode);
        Assert.DoesNotContain(Server.GetHooks(), h => h.Id == id);
        Assert.Equal(HttpStatusCode.NotFound, (await OwnerApi.DeleteAsync($"projects/{Project.Id}/hooks/{id}")).StatusCode);
    }

    [Fact]
    public async Task Changing_a_hooks_url_without_a_token_clears_the_token()
    {
        var hook = Server.AddHook(Project, new Uri("https://old.example.com/h"), "secret");

        await OwnerApi.PutAsJsonAsync($"projects/{Project.Id}/hooks/{hook.Id}", new { url = "https://new.example.com/h" });

        var view = Server.GetHooks().Single(h => h.Id == hook.Id);
        Assert.Equal("https://new.example.com/h", view.Url);
        Assert.Null(view.Token);
    }

    [Fact]
    public async Task Hook_create_validates_its_url()
    {
        var missing = await OwnerApi.PostAsJsonAsync($"projects/{Project.Id}/hooks", new { push_events = true });
        var bad = await OwnerApi.PostAsJsonAsync($"projects/{Project.Id}/hooks", new { url = "ftp://example.com" });

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal("url is missing", (string)(await Json(missing))["error"]!);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
    }

    [Fact]
    public async Task Project_hooks_need_maintainer_and_group_hooks_need_owner()
    {
        // The bot user is a Developer of the project and no member of the group.
        var projectHooks = await Api.GetAsync($"projects/{Project.Id}/hooks");
        var groupHooks = await Api.GetAsync($"groups/{Group.Id}/hooks");
        var asOwner = await OwnerApi.GetAsync($"groups/{Group.Id}/hooks");

        Assert.Equal(HttpStatusCode.Forbidden, projectHooks.StatusCode);
        Assert.Equal("""{"message":"403 Forbidden"}""", await projectHooks.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, groupHooks.StatusCode);
        Assert.Equal(HttpStatusCode.OK, asOwner.StatusCode);
        var hook = Assert.Single((await Json(asOwner)).AsArray());
        Assert.Equal(Group.Id, (int)hook!["group_id"]!);
        Assert.Equal(Receiver.Url.ToString(), (string)hook["url"]!);
    }

    [Fact]
    public async Task Without_group_hooks_the_api_answers_like_GitLab_Free_and_group_hooks_stop_firing()
    {
        Server.GroupHooksAvailable = false;

        var list = await OwnerApi.GetAsync($"groups/{Group.Id}/hooks");
        var create = await OwnerApi.PostAsJsonAsync($"groups/{Group.Id}/hooks", new { url = "https://bot.example.com/webhooks/gitlab" });
        var version = await Json(await Api.GetAsync("version"));
        OpenMr();
        await Server.WaitForDeliveriesAsync();

        Assert.Equal(HttpStatusCode.NotFound, list.StatusCode);
        Assert.Equal("""{"error":"404 Not Found"}""", await list.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, create.StatusCode);
        Assert.False((bool)version["enterprise"]!);
        Assert.DoesNotContain("-ee", (string)version["version"]!, StringComparison.Ordinal);
        Assert.Empty(Receiver.Received);
    }

    [Fact]
    public async Task Group_is_found_by_id_or_encoded_path_and_lists_projects_of_its_subgroups_page_by_page()
    {
        Server.AddProject("acme/platform/api");
        Server.AddProject("acme/platform/deep/worker");
        Server.AddProject("other/elsewhere");

        var byPath = await Json(await Api.GetAsync("groups/acme%2Fplatform"));
        var direct = (await Json(await Api.GetAsync($"groups/{Group.Id}/projects"))).AsArray();
        var page1 = await Api.GetAsync($"groups/{Group.Id}/projects?include_subgroups=true&per_page=2");
        var page2 = await Api.GetAsync($"groups/{Group.Id}/projects?include_subgroups=true&per_page=2&page=2");
        var missing = await Api.GetAsync("groups/nope");

        Assert.Equal("acme/platform", (string)byPath["full_path"]!);
        Assert.Equal(Group.Id, (int)byPath["parent_id"]!);
        Assert.Equal(["acme/app"], direct.Select(p => (string)p!["path_with_namespace"]!));
        Assert.Equal("3", page1.Headers.GetValues("x-total").Single());
        Assert.Equal("2", page1.Headers.GetValues("x-next-page").Single());
        var all = (await Json(page1)).AsArray().Concat((await Json(page2)).AsArray()).Select(p => (string)p!["path_with_namespace"]!).ToList();
        Assert.Equal(["acme/app", "acme/platform/api", "acme/platform/deep/worker"], all.Order(StringComparer.Ordinal));
        Assert.Equal("""{"message":"404 Group Not Found"}""", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Version_and_token_self_describe_the_instance_and_the_token()
    {
        var readOnly = Server.CreateToken(Bot, "read_api", "read_user");
        using var client = NewClient(readOnly);

        var version = await Json(await client.GetAsync("version"));
        var self = await Json(await client.GetAsync("personal_access_tokens/self"));
        var mine = await Json(await Api.GetAsync("personal_access_tokens/self"));

        Assert.Equal("18.0.0-ee", (string)version["version"]!);
        Assert.True((bool)version["enterprise"]!);
        Assert.Equal(["read_api", "read_user"], self["scopes"]!.AsArray().Select(s => (string)s!));
        Assert.Equal(Bot.Id, (int)self["user_id"]!);
        Assert.True((bool)self["active"]!);
        Assert.Equal(["api"], mine["scopes"]!.AsArray().Select(s => (string)s!));
    }

    [Fact]
    public async Task A_read_api_token_reads_but_cannot_write()
    {
        using var client = NewClient(Server.CreateToken(Owner, "read_api"));

        var read = await client.GetAsync($"groups/{Group.Id}/hooks");
        var write = await client.PostAsJsonAsync($"groups/{Group.Id}/hooks", new { url = "https://bot.example.com/webhooks/gitlab" });

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Equal("insufficient_scope", (string)(await Json(write))["error"]!);
        Assert.Single(Server.GetHooks());
    }

    [Fact]
    public async Task A_disabled_hook_shows_its_state_and_does_not_fire()
    {
        Server.DisableHook(Hook, TimeSpan.FromMinutes(10));
        var temporarily = Assert.Single((await Json(await OwnerApi.GetAsync($"groups/{Group.Id}/hooks"))).AsArray())!;
        OpenMr();
        await Server.WaitForDeliveriesAsync();
        Server.DisableHook(Hook);
        var permanently = await Json(await OwnerApi.GetAsync($"groups/{Group.Id}/hooks/{Hook.Id}"));

        Assert.Equal("temporarily_disabled", (string)temporarily["alert_status"]!);
        Assert.True(DateTimeOffset.Parse((string)temporarily["disabled_until"]!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow);
        Assert.Empty(Receiver.Received);
        Assert.Equal("disabled", (string)permanently["alert_status"]!);
        Assert.Null(permanently["disabled_until"]);
    }

    [Fact]
    public async Task Four_failed_deliveries_in_a_row_disable_a_hook_for_a_minute_when_auto_disabling_is_on()
    {
        Server.AutoDisableFailingHooks = true;
        // Port 1 on loopback refuses connections: every delivery fails fast.
        var dead = Server.AddHook(Project, new Uri("http://127.0.0.1:1/webhooks/gitlab"), events: new HookEvents(Push: false, MergeRequests: false, Notes: true));
        var mr = OpenMr();

        for (var i = 0; i < 5; i++)
        {
            Server.AddNote(Alice, mr, $"comment {i}");
            await Server.WaitForDeliveriesAsync();
        }

        var view = Server.GetHooks().Single(h => h.Id == dead.Id);
        Assert.Equal(4, view.RecentFailures);
        Assert.Equal("temporarily_disabled", view.AlertStatus);
        Assert.InRange(view.DisabledUntil!.Value - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.Equal(4, Server.Deliveries.Count(d => d.HookId == dead.Id));
        Assert.Equal("executable", Server.GetHooks().Single(h => h.Id == Hook.Id).AlertStatus);
    }

    [Fact]
    public async Task Without_auto_disabling_failures_are_only_delivered_and_logged()
    {
        var dead = Server.AddHook(Project, new Uri("http://127.0.0.1:1/webhooks/gitlab"), events: new HookEvents(Push: false, MergeRequests: false, Notes: true));
        var mr = OpenMr();

        for (var i = 0; i < 5; i++)
        {
            Server.AddNote(Alice, mr, $"comment {i}");
        }

        await Server.WaitForDeliveriesAsync();
        Assert.Equal(5, Server.Deliveries.Count(d => d.HookId == dead.Id && !d.Succeeded));
        Assert.Equal("executable", Server.GetHooks().Single(h => h.Id == dead.Id).AlertStatus);
    }
}
