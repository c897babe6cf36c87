using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace GitLabMrBot.TestGitLab.Tests;

public sealed class WebhookTests : GitLabTestBase
{
    [Fact]
    public async Task An_api_write_is_delivered_as_a_merge_request_hook_with_GitLabs_headers()
    {
        var mr = OpenMr();
        await Server.WaitForDeliveriesAsync();
        var before = Receiver.Received.Count;

        await PutJson($"projects/{Project.Id}/merge_requests/{mr.Iid}", new { add_labels = "frontend" });
        await Server.WaitForDeliveriesAsync();

        var hook = Assert.Single(Receiver.Received.Skip(before));
        Assert.Equal("application/json", hook.Headers["Content-Type"]);
        Assert.Equal("GitLab/18.0.0", hook.Headers["User-Agent"]);
        Assert.Equal("Merge Request Hook", hook.Headers["X-Gitlab-Event"]);
        Assert.Equal(HookSecret, hook.Headers["X-Gitlab-Token"]);
        Assert.Equal(Server.BaseUrl.ToString().TrimEnd('/'), hook.Headers["X-Gitlab-Instance"]);
        Assert.True(Guid.TryParse(hook.Headers["X-Gitlab-Webhook-UUID"], out _));
        Assert.True(Guid.TryParse(hook.Headers["X-Gitlab-Event-UUID"], out _));
        Assert.True(Guid.TryParse(hook.Headers["Idempotency-Key"], out _));

        var payload = hook.Payload;
        Assert.Equal("update", (string)payload["object_attributes"]!["action"]!);
        Assert.Equal("mrbot", (string)payload["user"]!["username"]!);
        Assert.Equal(Project.Id, (int)payload["project"]!["id"]!);
        Assert.Equal(mr.Iid, (int)payload["object_attributes"]!["iid"]!);
        Assert.Empty(payload["changes"]!["labels"]!["previous"]!.AsArray());
        Assert.Equal("frontend", (string)payload["changes"]!["labels"]!["current"]![0]!["title"]!);
        var delivery = Server.Deliveries[^1];
        Assert.Equal(200, delivery.StatusCode);
        Assert.Equal(hook.Headers["Idempotency-Key"], delivery.IdempotencyKey);
    }

    [Fact]
    public async Task Opening_a_merge_request_sends_push_then_open_hooks()
    {
        var mr = OpenMr(reviewers: [Bob]);
        await Server.WaitForDeliveriesAsync();

        Assert.Equal(["Push Hook", "Merge Request Hook"], Receiver.Received.Select(r => r.Headers["X-Gitlab-Event"]));
        var open = Receiver.Received[1].Payload;
        Assert.Equal("open", (string)open["object_attributes"]!["action"]!);
        Assert.Equal("bob", (string)open["reviewers"]![0]!["username"]!);
        Assert.Equal(mr.Id, (int)open["object_attributes"]!["id"]!);
        var push = Receiver.Received[0].Payload;
        Assert.Equal($"refs/heads/{Server.GetMergeRequest(mr).SourceBranch}", (string)push["ref"]!);
        Assert.Matches("^0+$", (string)push["before"]!);
        Assert.Equal(["docs/x.md"], push["commits"]![0]!["added"]!.AsArray().Select(a => (string)a!));
        Assert.Equal(["web/app.css"], push["commits"]![0]!["modified"]!.AsArray().Select(a => (string)a!));
    }

    [Fact]
    public async Task A_push_to_the_source_branch_updates_the_merge_request_with_oldrev()
    {
        var mr = OpenMr();
        var oldSha = Server.GetMergeRequest(mr).Sha;
        await Server.WaitForDeliveriesAsync();
        var before = Receiver.Received.Count;

        var newSha = Server.Push(Alice, Project, Server.GetMergeRequest(mr).SourceBranch, new Dictionary<string, string?> { ["web/app.css"] = "body { color: blue; }\n" });
        await Server.WaitForDeliveriesAsync();

        var events = Receiver.Received.Skip(before).ToList();
        Assert.Equal(["Push Hook", "Merge Request Hook"], events.Select(e => e.Headers["X-Gitlab-Event"]));
        Assert.Equal(oldSha, (string)events[1].Payload["object_attributes"]!["oldrev"]!);
        Assert.Equal(newSha, (string)events[1].Payload["object_attributes"]!["last_commit"]!["id"]!);
        Assert.Equal(newSha, Server.GetMergeRequest(mr).Sha);
    }

    [Fact]
    public async Task The_echo_of_a_write_carrying_the_event_uuid_is_blocked_for_that_hook_only()
    {
        var other = await HookReceiver.StartAsync();
        await using var _ = other;
        var mr = OpenMr();
        await Server.WaitForDeliveriesAsync();
        var open = Server.Deliveries.Single(d => d.HookId == Hook.Id && d.Event == "Merge Request Hook");
        var otherHook = Server.AddHook(Project, other.Url, "other");

        using var request = new HttpRequestMessage(HttpMethod.Put, $"projects/{Project.Id}/merge_requests/{mr.Iid}")
        {
            Content = JsonContent.Create(new { add_labels = "frontend" }),
        };
        request.Headers.Add("X-Gitlab-Event-UUID", open.EventUuid);
        (await Api.SendAsync(request)).EnsureSuccessStatusCode();
        await Api.PostAsJsonAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/notes", new { body = "not echoed either?" });
        await Server.WaitForDeliveriesAsync();

        // The note was posted without the header: a new chain, delivered to both hooks.
        var toBotHook = Server.Deliveries.Where(d => d.HookId == Hook.Id).Select(d => d.Event).ToList();
        Assert.Equal(["Push Hook", "Merge Request Hook", "Note Hook"], toBotHook);
        var blocked = Assert.Single(Server.BlockedDeliveries);
        Assert.Equal((Hook.Id, "Merge Request Hook", open.EventUuid), (blocked.HookId, blocked.Event, blocked.EventUuid));
        var toOther = Server.Deliveries.Where(d => d.HookId == otherHook.Id).ToList();
        Assert.Equal(["Merge Request Hook", "Note Hook"], toOther.Select(d => d.Event));
        Assert.Equal(open.EventUuid, toOther[0].EventUuid);
        Assert.NotEqual(open.EventUuid, toOther[1].EventUuid);
        Assert.Equal(["frontend"], Server.GetMergeRequest(mr).Labels);
    }

    [Fact]
    public async Task A_write_without_the_event_uuid_is_delivered_back_with_a_fresh_uuid()
    {
        var mr = OpenMr();
        await Server.WaitForDeliveriesAsync();
        var open = Server.Deliveries[^1];

        await PutJson($"projects/{Project.Id}/merge_requests/{mr.Iid}", new { add_labels = "frontend" });
        await Server.WaitForDeliveriesAsync();

        var echo = Server.Deliveries[^1];
        Assert.Equal("Merge Request Hook", echo.Event);
        Assert.NotEqual(open.EventUuid, echo.EventUuid);
        Assert.NotEqual(open.IdempotencyKey, echo.IdempotencyKey);
        Assert.Empty(Server.BlockedDeliveries);
    }

    [Fact]
    public async Task Notes_fire_note_hooks_but_system_notes_do_not()
    {
        var mr = OpenMr();
        await Server.WaitForDeliveriesAsync();
        var before = Server.Deliveries.Count;

        await PutJson($"projects/{Project.Id}/merge_requests/{mr.Iid}", new { reviewer_ids = new[] { Bob.Id } });
        var created = await Api.PostAsJsonAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/notes", new { body = "<!-- mrbot:summary -->\nHello" });
        var id = (int)(await Json(created))["id"]!;
        await Api.PutAsJsonAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/notes/{id}", new { body = "<!-- mrbot:summary -->\nBye" });
        await Server.WaitForDeliveriesAsync();

        var sent = Server.Deliveries.Skip(before).ToList();
        Assert.Equal(["Merge Request Hook", "Note Hook", "Note Hook"], sent.Select(d => d.Event));
        Assert.Equal("bob", (string)sent[0].Payload["changes"]!["reviewers"]!["current"]![0]!["username"]!);
        var note = sent[1].Payload;
        Assert.Equal("create", (string)note["object_attributes"]!["action"]!);
        Assert.False((bool)note["object_attributes"]!["system"]!);
        Assert.Equal(mr.Iid, (int)note["merge_request"]!["iid"]!);
        Assert.Equal(mr.Id, (int)note["object_attributes"]!["noteable_id"]!);
        Assert.Equal("update", (string)sent[2].Payload["object_attributes"]!["action"]!);
        Assert.Equal("<!-- mrbot:summary -->\nBye", (string)sent[2].Payload["object_attributes"]!["note"]!);
    }

    [Fact]
    public async Task Deliveries_to_one_hook_keep_the_order_of_the_changes()
    {
        var mr = OpenMr();
        for (var i = 1; i <= 8; i++)
        {
            Server.UpdateMergeRequest(Alice, mr, new MergeRequestUpdate { Title = $"Title {i}" });
        }

        await Server.WaitForDeliveriesAsync();

        var titles = Receiver.Received
            .Select(r => r.Payload)
            .Where(p => (string?)p["object_attributes"]?["action"] == "update")
            .Select(p => (string)p["changes"]!["title"]!["current"]!)
            .ToList();
        Assert.Equal(Enumerable.Range(1, 8).Select(i => $"Title {i}"), titles);
    }

    [Fact]
    public async Task A_human_ui_edit_fires_the_same_hook_as_the_api_with_the_human_as_user()
    {
        var mr = OpenMr();
        await Server.WaitForDeliveriesAsync();
        var before = Receiver.Received.Count;

        Server.UpdateMergeRequest(Carol, mr, new MergeRequestUpdate { Draft = true, AddLabels = ["wip::yes"] });
        await Server.WaitForDeliveriesAsync();

        var payload = Assert.Single(Receiver.Received.Skip(before)).Payload;
        Assert.Equal("carol", (string)payload["user"]!["username"]!);
        Assert.True((bool)payload["object_attributes"]!["draft"]!);
        Assert.Equal("Draft: Add styles", (string)payload["changes"]!["title"]!["current"]!);
        Assert.False((bool)payload["changes"]!["draft"]!["previous"]!);
        Assert.Equal("draft_status", (string)payload["object_attributes"]!["detailed_merge_status"]!);
        Assert.Contains(Server.GetNotes(mr), n => n.System && n.Body == "marked this merge request as **draft**");
        Assert.Equal(["carol add wip::yes"], Server.GetLabelEvents(mr).Where(e => e.User == "carol").Select(e => $"{e.User} {e.Action} {e.Label}"));
    }

    [Fact]
    public async Task Closing_and_merging_send_close_and_merge_actions()
    {
        var toClose = OpenMr();
        var toMerge = OpenMr();
        await Server.WaitForDeliveriesAsync();
        var before = Receiver.Received.Count;

        await PutJson($"projects/{Project.Id}/merge_requests/{toClose.Iid}", new { state_event = "close" });
        Server.Merge(Bob, toMerge);
        await Server.WaitForDeliveriesAsync();

        var actions = Receiver.Received.Skip(before)
            .Where(r => r.Headers["X-Gitlab-Event"] == "Merge Request Hook")
            .Select(r => $"{r.Payload["object_attributes"]!["iid"]} {r.Payload["object_attributes"]!["action"]} {r.Payload["object_attributes"]!["state"]}");
        Assert.Equal([$"{toClose.Iid} close closed", $"{toMerge.Iid} merge merged"], actions);
        Assert.Equal("merged", Server.GetMergeRequest(toMerge).State);
        Assert.Equal(
            "body { color: red; }\n",
            await (await Api.GetAsync($"projects/{Project.Id}/repository/files/web%2Fapp.css/raw?ref=main")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Hooks_receive_only_the_events_they_subscribe_to()
    {
        var other = await HookReceiver.StartAsync();
        await using var _ = other;
        Server.AddHook(Project, other.Url, events: new HookEvents(Push: false, MergeRequests: true, Notes: false));

        var mr = OpenMr();
        Server.AddNote(Bob, mr, "LGTM");
        await Server.WaitForDeliveriesAsync();

        Assert.Equal(["Merge Request Hook"], other.Received.Select(r => r.Headers["X-Gitlab-Event"]));
        Assert.False(other.Received[0].Headers.ContainsKey("X-Gitlab-Token"));
        Assert.Equal(["Push Hook", "Merge Request Hook", "Note Hook"], Receiver.Received.Select(r => r.Headers["X-Gitlab-Event"]));
    }

    [Fact]
    public async Task A_failing_receiver_is_recorded_not_retried()
    {
        var dead = new Uri("http://127.0.0.1:9/unreachable");
        Server.AddHook(Project, dead);

        OpenMr();
        await Server.WaitForDeliveriesAsync();

        var failed = Server.Deliveries.Where(d => d.Url == dead.ToString()).ToList();
        Assert.Equal(2, failed.Count);
        Assert.All(failed, d => Assert.Null(d.StatusCode));
        Assert.All(failed, d => Assert.False(d.Succeeded));
        Assert.All(failed, d => Assert.NotNull(d.Error));
        Assert.Equal(2, Server.Deliveries.Count(d => d.HookId == Hook.Id && d.Succeeded));
    }

    [Fact]
    public async Task Payload_snapshot_is_taken_when_the_event_happens()
    {
        var mr = OpenMr();
        Server.UpdateMergeRequest(Alice, mr, new MergeRequestUpdate { AddLabels = ["first"] });
        Server.UpdateMergeRequest(Alice, mr, new MergeRequestUpdate { AddLabels = ["second"] });
        await Server.WaitForDeliveriesAsync();

        var labelSets = Receiver.Received
            .Where(r => r.Headers["X-Gitlab-Event"] == "Merge Request Hook")
            .Select(r => string.Join(",", r.Payload["labels"]!.AsArray().Select(l => (string)l!["title"]!)))
            .ToList();
        Assert.Equal(["", "first", "first,second"], labelSets);
        Assert.IsType<JsonObject>(Server.Deliveries[0].Payload);
    }
}
