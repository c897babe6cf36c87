using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace GitLabMrBot.TestGitLab.Tests;

public sealed class RestApiTests : GitLabTestBase
{
    [Fact]
    public async Task Requests_without_a_valid_token_get_401_with_GitLabs_body()
    {
        using var anonymous = NewClient(null);
        using var wrong = NewClient("glpat-wrong");

        foreach (var client in new[] { anonymous, wrong })
        {
            var response = await client.GetAsync("user");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("""{"message":"401 Unauthorized"}""", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Private_token_and_bearer_both_authenticate_as_the_tokens_user()
    {
        using var bearer = NewClient(null);
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Alice.Token);

        var viaHeader = await Json(await Api.GetAsync("user"));
        var viaBearer = await Json(await bearer.GetAsync("user"));

        Assert.Equal("mrbot", (string)viaHeader["username"]!);
        Assert.True((bool)viaHeader["bot"]!);
        Assert.Equal(Bot.Id, (int)viaHeader["id"]!);
        Assert.Equal("alice", (string)viaBearer["username"]!);
        Assert.False((bool)viaBearer["bot"]!);
    }

    [Fact]
    public async Task A_blocked_users_token_stops_working()
    {
        Server.BlockUser(Alice);
        using var alice = NewClient(Alice.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, (await alice.GetAsync("user")).StatusCode);
    }

    [Fact]
    public async Task User_status_is_public_and_found_by_id_or_username()
    {
        Server.SetUserStatus(Bob, "busy", "On leave", "palm_tree");
        using var anonymous = NewClient(null);

        var byId = await Json(await anonymous.GetAsync($"users/{Bob.Id}/status"));
        var byName = await Json(await anonymous.GetAsync("users/bob/status"));
        var missing = await anonymous.GetAsync("users/nobody/status");

        Assert.Equal("busy", (string)byId["availability"]!);
        Assert.Equal("palm_tree", (string)byName["emoji"]!);
        Assert.Equal("On leave", (string)byName["message"]!);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("""{"message":"404 User Not Found"}""", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Users_are_found_by_username_case_insensitively()
    {
        var users = (await Json(await Api.GetAsync("users?username=CAROL"))).AsArray();

        var carol = Assert.Single(users);
        Assert.Equal(Carol.Id, (int)carol!["id"]!);
    }

    [Fact]
    public async Task Project_is_found_by_numeric_id_and_by_url_encoded_path()
    {
        var nested = Server.AddProject("acme/platform/api");

        var byId = await Json(await Api.GetAsync($"projects/{Project.Id}"));
        var byPath = await Json(await Api.GetAsync("projects/acme%2Fapp"));
        var byNestedPath = await Json(await Api.GetAsync("projects/acme%2Fplatform%2Fapi"));

        Assert.Equal(Project.Id, (int)byId["id"]!);
        Assert.Equal(Project.Id, (int)byPath["id"]!);
        Assert.Equal("acme/app", (string)byPath["path_with_namespace"]!);
        Assert.Equal(nested.Id, (int)byNestedPath["id"]!);
        Assert.Equal("acme/platform", (string)byNestedPath["namespace"]!["full_path"]!);
    }

    [Fact]
    public async Task Missing_things_get_GitLabs_404_shapes()
    {
        var mr = OpenMr();

        var project = await Api.GetAsync("projects/999");
        var projectPath = await Api.GetAsync("projects/acme%2Fnope/merge_requests/1");
        var mergeRequest = await Api.GetAsync($"projects/{Project.Id}/merge_requests/{mr.Iid + 10}");
        var note = await Api.GetAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/notes/99999");
        var route = await Api.GetAsync("projects/1/no_such_thing");
        var outsideApi = await new HttpClient().GetAsync(new Uri(Server.BaseUrl, "nothing/here"));

        Assert.Equal("""{"message":"404 Project Not Found"}""", await project.Content.ReadAsStringAsync());
        Assert.Equal("""{"message":"404 Project Not Found"}""", await projectPath.Content.ReadAsStringAsync());
        Assert.Equal("""{"message":"404 Not found"}""", await mergeRequest.Content.ReadAsStringAsync());
        Assert.Equal("""{"message":"404 Not found"}""", await note.Content.ReadAsStringAsync());
        Assert.Equal("""{"error":"404 Not Found"}""", await route.Content.ReadAsStringAsync());
        Assert.Equal("""{"error":"404 Not Found"}""", await outsideApi.Content.ReadAsStringAsync());
        Assert.All(new[] { project, projectPath, mergeRequest, note, route, outsideApi }, r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
    }

    [Fact]
    public async Task Pagination_headers_and_links_walk_every_page()
    {
        for (var i = 0; i < 45; i++)
        {
            Server.AddLabel(Project, $"label-{i:D2}", "#112233");
        }

        var seen = new List<string>();
        var page = "1";
        var pages = 0;
        HttpResponseMessage? first = null, last = null;
        while (page.Length > 0)
        {
            var response = await Api.GetAsync($"projects/{Project.Id}/labels?search=label&page={page}");
            first ??= response;
            last = response;
            seen.AddRange((await Json(response)).AsArray().Select(l => (string)l!["name"]!));
            page = response.Headers.GetValues("x-next-page").Single();
            pages++;
        }

        Assert.Equal(3, pages);
        Assert.Equal(45, seen.Distinct().Count());
        Assert.Equal("20", first!.Headers.GetValues("x-per-page").Single());
        Assert.Equal("45", first.Headers.GetValues("x-total").Single());
        Assert.Equal("3", first.Headers.GetValues("x-total-pages").Single());
        Assert.Equal("", first.Headers.GetValues("x-prev-page").Single());
        var link = first.Headers.GetValues("Link").Single();
        Assert.Contains($"<{Server.ApiUrl}projects/{Project.Id}/labels?search=label&page=2&per_page=20>; rel=\"next\"", link);
        Assert.Contains("page=3&per_page=20>; rel=\"last\"", link);
        Assert.DoesNotContain("rel=\"prev\"", link);
        Assert.Equal("3", last!.Headers.GetValues("x-page").Single());
        Assert.Equal("2", last.Headers.GetValues("x-prev-page").Single());
        Assert.Contains("rel=\"prev\"", last.Headers.GetValues("Link").Single());
        Assert.DoesNotContain("rel=\"next\"", last.Headers.GetValues("Link").Single());
    }

    [Fact]
    public async Task Per_page_is_capped_at_100()
    {
        for (var i = 0; i < 105; i++)
        {
            Server.AddLabel(Project, $"l{i}");
        }

        var response = await Api.GetAsync($"projects/{Project.Id}/labels?per_page=500");

        Assert.Equal(100, (await Json(response)).AsArray().Count);
        Assert.Equal("100", response.Headers.GetValues("x-per-page").Single());
        Assert.Equal("2", response.Headers.GetValues("x-next-page").Single());
    }

    [Fact]
    public async Task Adding_a_scoped_label_replaces_the_other_label_of_that_scope()
    {
        var mr = OpenMr(labels: ["size::S", "workflow::backend::review", "workflow::frontend::review", "bug"]);

        var response = await PutJson($"projects/{Project.Id}/merge_requests/{mr.Iid}", new { add_labels = "size::M,workflow::backend::development" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var labels = (await Json(response))["labels"]!.AsArray().Select(l => (string)l!).ToList();
        Assert.Equal(["bug", "size::M", "workflow::backend::development", "workflow::frontend::review"], labels);
        var events = Server.GetLabelEvents(mr).Where(e => e.User == "mrbot").Select(e => $"{e.Action} {e.Label}").ToList();
        Assert.Equal(["add size::M", "add workflow::backend::development", "remove size::S", "remove workflow::backend::review"], events);
    }

    [Fact]
    public async Task Add_labels_creates_missing_project_labels_with_the_default_colour()
    {
        Server.AddLabel(Project, "frontend", "#1f75cb");
        var mr = OpenMr();

        await PutJson($"projects/{Project.Id}/merge_requests/{mr.Iid}", new { add_labels = new[] { "frontend", "brand-new" } });

        var labels = (await Json(await Api.GetAsync($"projects/{Project.Id}/labels"))).AsArray();
        Assert.Equal("#1f75cb", (string)labels.Single(l => (string)l!["name"]! == "frontend")!["color"]!);
        Assert.Equal("#6699cc", (string)labels.Single(l => (string)l!["name"]! == "brand-new")!["color"]!);
        Assert.Equal(["brand-new", "frontend"], Server.GetMergeRequest(mr).Labels.Order());
    }

    [Fact]
    public async Task Remove_labels_and_labels_replace_work_from_form_and_query_too()
    {
        var mr = OpenMr(labels: ["a", "b", "c"]);

        using var form = new FormUrlEncodedContent([new("remove_labels", "a,b")]);
        var removed = await Api.PutAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}", form);
        var replaced = await Api.PutAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}?labels=x,y", null);

        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        Assert.Equal(["c"], (await Json(removed))["labels"]!.AsArray().Select(l => (string)l!));
        Assert.Equal(["x", "y"], (await Json(replaced))["labels"]!.AsArray().Select(l => (string)l!));
    }

    [Fact]
    public async Task An_update_without_any_attribute_is_400()
    {
        var mr = OpenMr();

        var response = await PutJson($"projects/{Project.Id}/merge_requests/{mr.Iid}", new { unrelated = 1 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.EndsWith("are missing, at least one parameter must be provided", (string)(await Json(response))["error"]!);
        Assert.DoesNotContain(Server.GetLabelEvents(mr), e => e.User == "mrbot");
    }

    [Fact]
    public async Task Bad_parameter_values_are_400_not_500()
    {
        var mr = OpenMr();

        var badState = await PutJson($"projects/{Project.Id}/merge_requests/{mr.Iid}", new { state_event = "explode" });
        var badIds = await PutJson($"projects/{Project.Id}/merge_requests/{mr.Iid}", new { reviewer_ids = "one,two" });
        using var broken = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json");
        var badJson = await Api.PutAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}", broken);
        var badListState = await Api.GetAsync($"projects/{Project.Id}/merge_requests?state=weird");

        Assert.Equal("""{"error":"state_event does not have a valid value"}""", await badState.Content.ReadAsStringAsync());
        Assert.Equal("""{"error":"reviewer_ids is invalid"}""", await badIds.Content.ReadAsStringAsync());
        Assert.All(new[] { badState, badIds, badJson, badListState }, r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
    }

    [Fact]
    public async Task Reviewer_and_assignee_changes_add_system_notes_but_label_changes_do_not()
    {
        var mr = OpenMr();

        await PutJson($"projects/{Project.Id}/merge_requests/{mr.Iid}", new { reviewer_ids = new[] { Bob.Id }, add_labels = "frontend" });
        await PutJson($"projects/{Project.Id}/merge_requests/{mr.Iid}", new { reviewer_ids = new[] { Carol.Id }, assignee_ids = new[] { Carol.Id } });
        await PutJson($"projects/{Project.Id}/merge_requests/{mr.Iid}", new { reviewer_ids = new[] { 0 } });

        var notes = (await Json(await Api.GetAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/notes?sort=asc"))).AsArray();
        Assert.All(notes, n => Assert.True((bool)n!["system"]!));
        Assert.All(notes, n => Assert.Equal("mrbot", (string)n!["author"]!["username"]!));
        Assert.Equal(
            ["requested review from @bob", "assigned to @carol", "requested review from @carol and removed review request for @bob", "removed review request for @carol"],
            notes.Select(n => (string)n!["body"]!));
        Assert.Empty(Server.GetMergeRequest(mr).Reviewers);
    }

    [Fact]
    public async Task Label_events_record_who_added_and_removed_each_label()
    {
        var mr = OpenMr(labels: ["bug"]);
        await PutJson($"projects/{Project.Id}/merge_requests/{mr.Iid}", new { add_labels = "frontend" });
        Server.UpdateMergeRequest(Carol, mr, new MergeRequestUpdate { RemoveLabels = ["frontend"] });

        var events = (await Json(await Api.GetAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/resource_label_events"))).AsArray();

        Assert.Equal(
            ["alice add bug", "mrbot add frontend", "carol remove frontend"],
            events.Select(e => $"{e!["user"]!["username"]} {e["action"]} {e["label"]!["name"]}"));
        Assert.All(events, e => Assert.Equal("MergeRequest", (string)e!["resource_type"]!));
        Assert.All(events, e => Assert.Equal(mr.Id, (int)e!["resource_id"]!));
    }

    [Fact]
    public async Task Notes_are_created_with_201_listed_newest_first_and_edited_only_by_their_author()
    {
        var mr = OpenMr();
        var path = $"projects/{Project.Id}/merge_requests/{mr.Iid}/notes";

        var first = await Api.PostAsJsonAsync(path, new { body = "first" });
        var second = await Api.PostAsJsonAsync(path, new { body = "second" });
        var noteId = (int)(await Json(first))["id"]!;
        var edited = await Api.PutAsJsonAsync($"{path}/{noteId}", new { body = "first, edited" });
        using var alice = NewClient(Alice.Token);
        var foreign = await alice.PutAsJsonAsync($"{path}/{noteId}", new { body = "hijack" });
        var empty = await Api.PostAsJsonAsync(path, new { body = "" });
        var list = (await Json(await Api.GetAsync(path))).AsArray();

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal("first, edited", (string)(await Json(edited))["body"]!);
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Equal("""{"error":"body is missing"}""", await empty.Content.ReadAsStringAsync());
        Assert.Equal(["second", "first, edited"], list.Select(n => (string)n!["body"]!));
        Assert.Equal(mr.Iid, (int)list[0]!["noteable_iid"]!);
    }

    [Fact]
    public async Task A_deleted_note_is_gone_and_a_PUT_to_its_id_is_404_without_a_hook()
    {
        var mr = OpenMr();
        var path = $"projects/{Project.Id}/merge_requests/{mr.Iid}/notes";
        var kept = (int)(await Json(await Api.PostAsJsonAsync(path, new { body = "kept" })))["id"]!;
        var viaApi = (int)(await Json(await Api.PostAsJsonAsync(path, new { body = "deleted through the API" })))["id"]!;
        var viaUi = (int)(await Json(await Api.PostAsJsonAsync(path, new { body = "deleted in the UI" })))["id"]!;
        await Server.WaitForDeliveriesAsync();
        var deliveriesBefore = Server.Deliveries.Count;

        using var alice = NewClient(Alice.Token);
        var foreign = await alice.DeleteAsync($"{path}/{viaApi}");
        var deleted = await Api.DeleteAsync($"{path}/{viaApi}");
        var removedInUi = Server.DeleteNote(mr, viaUi);
        var put = await Api.PutAsJsonAsync($"{path}/{viaUi}", new { body = "edit of a deleted note" });
        var again = await Api.DeleteAsync($"{path}/{viaApi}");
        await Server.WaitForDeliveriesAsync();

        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal("", await deleted.Content.ReadAsStringAsync());
        Assert.True(removedInUi);
        Assert.Equal(HttpStatusCode.NotFound, put.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal([kept], Server.GetNotes(mr).Where(n => !n.System).Select(n => n.Id));
        Assert.Equal(deliveriesBefore, Server.Deliveries.Count);
    }

    [Fact]
    public async Task Creating_an_existing_label_is_409_and_missing_fields_are_400()
    {
        var created = await Api.PostAsJsonAsync($"projects/{Project.Id}/labels", new { name = "docs", color = "#0e8a16" });
        var again = await Api.PostAsJsonAsync($"projects/{Project.Id}/labels", new { name = "docs", color = "#000000" });
        var noColor = await Api.PostAsJsonAsync($"projects/{Project.Id}/labels", new { name = "x" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("#0e8a16", (string)(await Json(created))["color"]!);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("""{"message":"Label already exists"}""", await again.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, noColor.StatusCode);
    }

    [Fact]
    public async Task Raw_files_are_read_per_ref_with_an_encoded_path()
    {
        var mr = OpenMr();
        var source = Server.GetMergeRequest(mr).SourceBranch;

        var onMain = await Api.GetAsync($"projects/{Project.Id}/repository/files/web%2Fapp.css/raw?ref=main");
        var onBranch = await Api.GetAsync($"projects/acme%2Fapp/repository/files/web%2Fapp.css/raw?ref={source}");
        var defaultRef = await Api.GetAsync($"projects/{Project.Id}/repository/files/README.md/raw");
        var missing = await Api.GetAsync($"projects/{Project.Id}/repository/files/CODEOWNERS/raw?ref=main");

        Assert.Equal("body {}\n", await onMain.Content.ReadAsStringAsync());
        Assert.Equal("body { color: red; }\n", await onBranch.Content.ReadAsStringAsync());
        Assert.Equal("# app\n", await defaultRef.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("""{"message":"404 File Not Found"}""", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Diffs_and_commits_describe_the_source_branch_against_its_merge_base()
    {
        var mr = OpenMr();
        Server.Push(Alice, Project, Server.GetMergeRequest(mr).SourceBranch, new Dictionary<string, string?> { ["README.md"] = null }, "Drop readme");

        var diffs = (await Json(await Api.GetAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/diffs?per_page=2"))).AsArray();
        var page2 = (await Json(await Api.GetAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/diffs?per_page=2&page=2"))).AsArray();
        var commits = (await Json(await Api.GetAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/commits"))).AsArray();
        var single = await Json(await Api.GetAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}"));

        Assert.Equal(["README.md", "docs/x.md"], diffs.Select(d => (string)d!["new_path"]!));
        Assert.True((bool)diffs[0]!["deleted_file"]!);
        Assert.True((bool)diffs[1]!["new_file"]!);
        Assert.Equal("@@ -0,0 +1,3 @@\n+# X\n+\n+New doc.\n", (string)diffs[1]!["diff"]!);
        var css = Assert.Single(page2);
        Assert.Equal("@@ -1,1 +1,1 @@\n-body {}\n+body { color: red; }\n", (string)css!["diff"]!);
        Assert.Equal(["Drop readme", "Add styles"], commits.Select(c => (string)c!["title"]!));
        Assert.Equal("3", (string)single["changes_count"]!);
        Assert.Equal((string)commits[0]!["id"]!, (string)single["sha"]!);
    }

    [Fact]
    public async Task Merge_request_lists_filter_like_GitLab()
    {
        var withBob = OpenMr("one", labels: ["frontend", "size::S"], reviewers: [Bob]);
        var plain = OpenMr("two");
        var closed = OpenMr("three", reviewers: [Bob]);
        Server.UpdateMergeRequest(Alice, closed, new MergeRequestUpdate { StateEvent = "close" });
        var source = Server.GetMergeRequest(plain).SourceBranch;

        async Task<List<int>> Iids(string query) =>
            [.. (await Json(await Api.GetAsync(query))).AsArray().Select(m => (int)m!["iid"]!)];

        Assert.Equal([plain.Iid, withBob.Iid], await Iids($"projects/{Project.Id}/merge_requests?state=opened"));
        Assert.Equal([withBob.Iid, plain.Iid], await Iids($"projects/{Project.Id}/merge_requests?state=opened&sort=asc"));
        Assert.Equal([closed.Iid], await Iids($"projects/{Project.Id}/merge_requests?state=closed"));
        Assert.Equal([plain.Iid], await Iids($"projects/{Project.Id}/merge_requests?source_branch={source}"));
        Assert.Equal([withBob.Iid], await Iids($"projects/{Project.Id}/merge_requests?labels=frontend,size::S"));
        Assert.Equal([withBob.Iid], await Iids($"projects/{Project.Id}/merge_requests?state=opened&reviewer_id={Bob.Id}"));
        Assert.Equal([plain.Iid], await Iids($"projects/{Project.Id}/merge_requests?state=opened&reviewer_id=None"));
        // GitLab's global list defaults to scope=created_by_me: the bot created nothing.
        Assert.Empty(await Iids($"merge_requests?reviewer_id={Bob.Id}&state=opened"));
        Assert.Equal([withBob.Iid], await Iids($"merge_requests?scope=all&reviewer_id={Bob.Id}&state=opened"));
    }

    [Fact]
    public async Task Members_all_reports_inherited_members_at_their_highest_level()
    {
        Server.AddMember(Project, Alice, AccessLevel.Maintainer);

        var members = (await Json(await Api.GetAsync($"projects/{Project.Id}/members/all"))).AsArray();
        var alice = await Json(await Api.GetAsync($"projects/acme%2Fapp/members/all/{Alice.Id}"));
        var stranger = await Api.GetAsync($"projects/{Project.Id}/members/all/{Server.Root.Id}");
        var group = (await Json(await Api.GetAsync("groups/acme/members"))).AsArray();

        Assert.Equal(["alice:40", "bob:40", "carol:30", "mrbot:30"], members.Select(m => $"{m!["username"]}:{m["access_level"]}"));
        Assert.Equal(40, (int)alice["access_level"]!);
        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        Assert.Equal(["alice:30", "bob:40"], group.Select(m => $"{m!["username"]}:{m["access_level"]}"));
    }

    [Fact]
    public async Task A_user_without_developer_access_cannot_update_a_merge_request()
    {
        var outsider = Server.AddUser("outsider");
        using var client = NewClient(outsider.Token);
        var mr = OpenMr();

        var response = await PutJson($"projects/{Project.Id}/merge_requests/{mr.Iid}", new { add_labels = "x" }, client);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("""{"message":"403 Forbidden"}""", await response.Content.ReadAsStringAsync());
        Assert.Empty(Server.GetMergeRequest(mr).Labels);
    }

    [Fact]
    public async Task Every_request_is_recorded_as_a_readable_action()
    {
        var mr = OpenMr();

        await PutJson($"projects/{Project.Id}/merge_requests/{mr.Iid}", new { add_labels = new[] { "frontend", "size::S" } });
        await Api.GetAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/notes?sort=asc");
        await Api.PostAsJsonAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/notes", new { body = "hi" });

        Assert.Equal(
            [
                $"PUT /projects/{Project.Id}/merge_requests/{mr.Iid} add_labels=frontend,size::S",
                $"GET /projects/{Project.Id}/merge_requests/{mr.Iid}/notes sort=asc",
                $"POST /projects/{Project.Id}/merge_requests/{mr.Iid}/notes body=hi",
            ],
            Server.Actions);
        Assert.Equal(2, Server.Writes.Count);
        Assert.All(Server.Requests, r => Assert.Equal(Bot.Token, r.Header("PRIVATE-TOKEN")));
        Assert.Equal([200, 200, 201], Server.Requests.Select(r => r.Status));
    }
}
