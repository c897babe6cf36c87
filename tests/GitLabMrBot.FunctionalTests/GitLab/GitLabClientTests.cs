using System.Net;
using System.Text.Json.Nodes;
using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.TestGitLab;
using Microsoft.Extensions.Logging;
using MergeRequestUpdate = GitLabMrBot.GitLab.MergeRequestUpdate;

namespace GitLabMrBot.FunctionalTests.GitLab;

/// <summary>The bot's GitLab client against the test GitLab on loopback, with injected faults.</summary>
public sealed class GitLabClientTests
{
    // Calls are bounded by the client's own total timeout (one minute in the harness).
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task Every_request_sends_the_private_token_which_is_never_logged()
    {
        await using var h = await GitLabClientHarness.StartAsync();

        var me = await h.Client.GetCurrentUserAsync(Ct);
        var again = await h.Client.GetCurrentUserAsync(Ct);
        var mr = await h.Client.GetMergeRequestAsync(h.Mr, Ct);

        Assert.Equal(h.BotUser.Id, me.Id);
        Assert.Same(me, again);
        Assert.Equal(["existing"], mr.Labels);
        Assert.Equal("5", mr.ChangesCount);
        var requests = h.Server.Requests;
        Assert.Equal(["/user", h.MrPath], requests.Select(r => r.Path));
        Assert.All(requests, r => Assert.Equal(h.Token, r.Header("PRIVATE-TOKEN")));
        Assert.Contains(h.LogsAt(LogLevel.Debug), m => m.Contains("/api/v4" + h.MrPath, StringComparison.Ordinal) && m.Contains("200", StringComparison.Ordinal));
        Assert.DoesNotContain(h.LogText, m => m.Contains(h.Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Diffs_are_read_across_three_pages_following_x_next_page()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        // GitLab serves at most 100 per page: 250 files take three pages.
        var files = Enumerable.Range(1, 250).ToDictionary(i => $"src/file{i:D3}.cs", i => (string?)$"class F{i} {{}}\n");
        var big = h.Server.OpenMergeRequest(h.Project, h.Alice, "Big change", "big", files: files);

        var diffs = await h.Client.GetAllDiffsAsync(new MergeRequestRef(h.Project.Id, big.Iid), Ct);

        Assert.Equal(files.Keys, diffs.Select(d => d.NewPath));
        var pages = h.RequestsTo("GET", $"/projects/{h.Project.Id}/merge_requests/{big.Iid}/diffs");
        Assert.Equal(["1", "2", "3"], pages.Select(r => Parameter(r, "page")));
        Assert.All(pages, r => Assert.Equal("100", Parameter(r, "per_page")));
    }

    [Fact]
    public async Task Too_many_requests_with_Retry_After_is_waited_for_then_retried()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.InjectFault("GET", h.MrPath, Fault.RateLimited(retryAfterSeconds: 1));

        var mr = await h.Client.GetMergeRequestAsync(h.Mr, Ct);

        Assert.Equal(h.MergeRequest.Iid, mr.Iid);
        var attempts = h.RequestsTo("GET", h.MrPath);
        Assert.Equal(2, attempts.Count);
        // The base backoff is 20 ms: only Retry-After explains a wait near one second.
        var waited = attempts[1].ReceivedAt - attempts[0].ReceivedAt;
        Assert.True(waited >= TimeSpan.FromMilliseconds(900), $"retried after {waited}");
        // A retry the pipeline handled is Debug (issue 13: it needs nobody's attention; mrbot.gitlab.retries counts it).
        Assert.Contains(h.LogsAt(LogLevel.Debug), m => m.Contains("429", StringComparison.Ordinal) && m.Contains(h.MrPath, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Retry_After_longer_than_the_allowed_wait_is_handed_to_the_caller()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.InjectFault("GET", h.MrPath, Fault.RateLimited(retryAfterSeconds: 3600));

        var error = await Assert.ThrowsAsync<GitLabApiException>(() => h.Client.GetMergeRequestAsync(h.Mr, Ct));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.Equal(TimeSpan.FromHours(1), error.RetryAfter);
        Assert.Equal("Retry later", error.GitLabMessage);
        Assert.Single(h.RequestsTo("GET", h.MrPath));
    }

    [Fact]
    public async Task Server_error_on_GET_is_retried()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.InjectFault("GET", h.MrPath, Fault.ServerError(), times: 2);

        var mr = await h.Client.GetMergeRequestAsync(h.Mr, Ct);

        Assert.Equal("Add feature", mr.Title);
        Assert.Equal(3, h.RequestsTo("GET", h.MrPath).Count);
    }

    [Fact]
    public async Task Dropped_connection_on_GET_is_retried()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.InjectFault("GET", h.MrPath, Fault.DropConnection());

        var mr = await h.Client.GetMergeRequestAsync(h.Mr, Ct);

        Assert.Equal(h.MergeRequest.Iid, mr.Iid);
        Assert.Equal(2, h.RequestsTo("GET", h.MrPath).Count);
    }

    [Fact]
    public async Task Errors_that_outlast_the_retries_surface_as_GitLabApiException_with_GitLabs_message()
    {
        await using var h = await GitLabClientHarness.StartAsync(("GitLab:MaxRetryAttempts", "2"));
        h.Server.InjectFault("GET", h.MrPath, Fault.ServiceUnavailable(), times: 10);

        var error = await Assert.ThrowsAsync<GitLabApiException>(() => h.Client.GetMergeRequestAsync(h.Mr, Ct));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal("503 Service Unavailable", error.GitLabMessage);
        Assert.True(error.OutcomeUnknown);
        Assert.Equal(3, h.RequestsTo("GET", h.MrPath).Count);
        Assert.DoesNotContain(h.Token, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("500")]
    [InlineData("drop")]
    public async Task Note_POST_that_failed_after_being_stored_is_found_by_its_marker_not_posted_again(string failure)
    {
        await using var h = await GitLabClientHarness.StartAsync();
        var fault = failure == "drop" ? Fault.DropConnection(afterApplying: true) : Fault.ServerError(afterApplying: true);
        h.Server.InjectFault("POST", $"{h.MrPath}/notes", fault);
        var marker = NoteMarkers.For("summary");

        var result = await h.Client.UpsertMarkedNoteAsync(h.Mr, marker, "Labels: backend", Ct);

        Assert.Equal(NoteUpsertOutcome.Created, result.Outcome);
        var note = Assert.Single(h.Server.GetNotes(h.MergeRequest));
        Assert.Equal($"Labels: backend\n\n{marker}", note.Body);
        Assert.Equal(result.Note.Id, note.Id);
        Assert.Single(h.RequestsTo("POST", $"{h.MrPath}/notes"));
    }

    [Fact]
    public async Task Note_POST_that_failed_before_being_stored_is_posted_again_after_checking()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.InjectFault("POST", $"{h.MrPath}/notes", Fault.BadGateway());
        var marker = NoteMarkers.For("summary");

        var result = await h.Client.UpsertMarkedNoteAsync(h.Mr, marker, "Labels: backend", Ct);

        Assert.Equal(NoteUpsertOutcome.Created, result.Outcome);
        Assert.Single(h.Server.GetNotes(h.MergeRequest));
        Assert.Equal(2, h.RequestsTo("POST", $"{h.MrPath}/notes").Count);
        // Looked for the marker before each POST.
        Assert.Equal(["GET", "POST", "GET", "POST"], h.Server.Requests.Where(r => r.Path == $"{h.MrPath}/notes").Select(r => r.Method));
    }

    [Fact]
    public async Task Note_POST_answered_429_is_resent_by_the_pipeline_since_GitLab_refused_it_unprocessed()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.InjectFault("POST", $"{h.MrPath}/notes", Fault.RateLimited(retryAfterSeconds: 0));

        var created = await h.Client.CreateNoteAsync(h.Mr, "hello", Ct);

        Assert.Equal("hello", created.Body);
        Assert.Equal(2, h.RequestsTo("POST", $"{h.MrPath}/notes").Count);
        Assert.Single(h.Server.GetNotes(h.MergeRequest));
    }

    [Fact]
    public async Task Upsert_edits_the_bots_note_only_when_its_text_changes()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        var marker = NoteMarkers.For("summary");
        // A human quoting the marker and a system note must not be mistaken for ours: the bot pushing a commit whose
        // title holds the marker makes GitLab write a system note in the bot's name ("added 1 commit … <title>").
        h.Server.AddNote(h.Alice, h.MergeRequest, $"quoting {marker}");
        h.Server.Push(h.BotUser, h.Project, "feature", new Dictionary<string, string?> { ["src/extra.cs"] = "class Extra {}\n" }, $"added label {marker}");
        var systemNote = Assert.Single(h.Server.GetNotes(h.MergeRequest), n => n.System);
        Assert.Equal(h.BotUser.Username, systemNote.Author);
        Assert.Contains(marker, systemNote.Body, StringComparison.Ordinal);

        var first = await h.Client.UpsertMarkedNoteAsync(h.Mr, marker, "v1", Ct);
        var same = await h.Client.UpsertMarkedNoteAsync(h.Mr, marker, "v1", Ct);
        var changed = await h.Client.UpsertMarkedNoteAsync(h.Mr, marker, "v2", Ct);

        Assert.Equal(NoteUpsertOutcome.Created, first.Outcome);
        Assert.Equal(NoteUpsertOutcome.Unchanged, same.Outcome);
        Assert.Equal(NoteUpsertOutcome.Updated, changed.Outcome);
        Assert.Equal(first.Note.Id, changed.Note.Id);
        Assert.Single(h.RequestsTo("POST", $"{h.MrPath}/notes"));
        Assert.Single(h.RequestsTo("PUT", $"{h.MrPath}/notes/{first.Note.Id}"));
        var notes = h.Server.GetNotes(h.MergeRequest);
        Assert.Equal(3, notes.Count);
        Assert.Equal($"v2\n\n{marker}", notes.Single(n => n.Id == first.Note.Id).Body);
        Assert.DoesNotContain(h.LogText, m => m.Contains("v2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Label_PUT_is_retried_after_500_and_ends_in_the_wanted_state()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.InjectFault("PUT", h.MrPath, Fault.ServerError(afterApplying: true));

        var mr = await h.Client.UpdateMergeRequestAsync(h.Mr, new MergeRequestUpdate { AddLabels = ["backend", "size::S"], RemoveLabels = ["existing"] }, Ct);

        Assert.Equal(["backend", "size::S"], mr.Labels);
        Assert.Equal(["backend", "size::S"], h.Server.GetMergeRequest(h.MergeRequest).Labels);
        var puts = h.RequestsTo("PUT", h.MrPath);
        Assert.Equal(2, puts.Count);
        Assert.All(puts, p =>
        {
            var body = JsonNode.Parse(p.Body)!.AsObject();
            Assert.Equal("backend,size::S", body["add_labels"]!.GetValue<string>());
            Assert.Equal("existing", body["remove_labels"]!.GetValue<string>());
            Assert.False(body.ContainsKey("assignee_ids"));
            Assert.False(body.ContainsKey("reviewer_ids"));
        });
    }

    [Fact]
    public async Task Event_uuid_is_sent_inside_a_request_context_scope_and_not_outside()
    {
        await using var h = await GitLabClientHarness.StartAsync();

        await h.Client.GetMergeRequestAsync(h.Mr, Ct);
        using (GitLabRequestContext.Use("0b1c3b4c-aaaa-4c1e-9e2f-5d6b7a8c9d0e"))
        {
            // Also across a continuation on another thread, as in the worker.
            await Task.Run(() => h.Client.UpdateMergeRequestAsync(h.Mr, new MergeRequestUpdate { AddLabels = ["x"] }, Ct), Ct);
        }
        await h.Client.GetMergeRequestAsync(h.Mr, Ct);

        var requests = h.Server.Requests;
        Assert.Equal([null, "0b1c3b4c-aaaa-4c1e-9e2f-5d6b7a8c9d0e", null], requests.Select(r => r.Header("X-Gitlab-Event-UUID")));
        Assert.Equal(["GET", "PUT", "GET"], requests.Select(r => r.Method));
    }

    [Fact]
    public async Task Missing_file_is_null_and_file_paths_are_sent_fully_encoded()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.Push(h.Alice, h.Project, "main", new Dictionary<string, string?> { [".gitlab/CODEOWNERS"] = "* @alice\n" });

        var present = await h.Client.GetFileAsync(h.Project.Id, ".gitlab/CODEOWNERS", "main", Ct);
        var absent = await h.Client.GetFileAsync(h.Project.Id, "docs/none.md", null, Ct);

        Assert.Equal("* @alice\n", present);
        Assert.Null(absent);
        // The recorded path is the raw, still-encoded request target.
        var raw = h.Server.Requests.Select(r => "/api/v4" + r.Path + r.Query).ToList();
        Assert.Equal($"/api/v4/projects/{h.Project.Id}/repository/files/.gitlab%2FCODEOWNERS/raw?ref=main", raw[0]);
        Assert.Equal($"/api/v4/projects/{h.Project.Id}/repository/files/docs%2Fnone.md/raw", raw[1]);
    }

    [Fact]
    public async Task Not_found_maps_to_GitLabApiException_with_GitLabs_message_without_retrying()
    {
        await using var h = await GitLabClientHarness.StartAsync();

        var error = await Assert.ThrowsAsync<GitLabApiException>(() => h.Client.GetMergeRequestAsync(new MergeRequestRef(h.Project.Id, 404), Ct));

        Assert.True(error.IsNotFound);
        Assert.Equal("404 Not found", error.GitLabMessage);
        Assert.False(error.OutcomeUnknown);
        Assert.Single(h.Server.Requests);
    }

    [Fact]
    public async Task EnsureLabels_creates_only_missing_labels_and_takes_409_as_done()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        // "type::feature" appears between our list and our create (another instance made it): 409.
        h.Server.InjectFault("POST", h.LabelsPath, Fault.ConcurrentChange(() => h.Server.AddLabel(h.Project, "type::feature", "#FF0000")));

        var created = await h.Client.EnsureLabelsAsync(
            h.Project.Id,
            [new("type::feature", "#FF0000"), new("bug", "#00FF00"), new("size::S", "#0000FF", "Small change")],
            Ct);

        Assert.Equal(["size::S"], created);
        var posts = h.RequestsTo("POST", h.LabelsPath);
        Assert.Equal(["type::feature", "size::S"], posts.Select(p => Parameter(p, "name")));
        Assert.Equal([409, 201], posts.Select(p => p.Status));
        var bodies = posts.Select(p => JsonNode.Parse(p.Body)!.AsObject()).ToList();
        Assert.Equal("#0000FF", bodies[1]["color"]!.GetValue<string>());
        Assert.Equal("Small change", bodies[1]["description"]!.GetValue<string>());
        Assert.False(bodies[0].ContainsKey("description"));
    }

    [Fact]
    public async Task Label_create_is_marked_retry_safe_so_a_500_is_retried()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.InjectFault("POST", h.LabelsPath, Fault.ServerError());

        var created = await h.Client.EnsureLabelsAsync(h.Project.Id, [new("size::S", "#0000FF")], Ct);

        Assert.Equal(["size::S"], created);
        Assert.Equal(2, h.RequestsTo("POST", h.LabelsPath).Count);
        Assert.Contains("size::S", h.Server.GetLabels(h.Project).Select(l => l.Name));
    }

    [Fact]
    public async Task User_lookups_return_null_for_unknown_users()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.SetUserStatus(h.Alice, "busy", "On leave", "palm_tree");

        var alice = await h.Client.FindUserAsync("@alice", Ct);
        var nobody = await h.Client.FindUserAsync("nobody", Ct);
        var status = await h.Client.GetUserStatusAsync(h.Alice.Id, Ct);
        var noStatus = await h.Client.GetUserStatusAsync(12345, Ct);

        Assert.Equal(h.Alice.Id, alice!.Id);
        Assert.Null(nobody);
        Assert.Equal("busy", status!.Availability);
        Assert.Null(noStatus);
        Assert.Equal("alice", Parameter(h.Server.Requests[0], "username"));
    }

    [Fact]
    public async Task Rate_limiter_spaces_requests_when_configured_low()
    {
        // 120 per minute = 2 tokens each second into a bucket of 2: six requests at once need two refills.
        await using var h = await GitLabClientHarness.StartAsync(("GitLab:RequestsPerMinute", "120"), ("GitLab:RateLimitBurst", "1"));

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => h.Client.GetMergeRequestAsync(h.Mr, Ct)));

        var times = h.Server.Requests.Select(r => r.ReceivedAt).Order().ToList();
        Assert.Equal(6, times.Count);
        // However slow the machine, no second holds more than a full bucket plus one refill (without the limiter: all six).
        for (var i = 0; i < times.Count; i++)
        {
            var inWindow = times.Count(t => t >= times[i] && t - times[i] < TimeSpan.FromSeconds(1));
            Assert.True(inWindow <= 4, $"{inWindow} requests within one second");
        }
        Assert.True(times[^1] - times[0] >= TimeSpan.FromSeconds(1.5), "six requests were not spread out");
    }

    /// <summary>The last value of a query or body parameter, as GitLab would read it.</summary>
    private static string? Parameter(RecordedRequest request, string name) =>
        request.Parameters.LastOrDefault(p => p.Key == name).Value;
}
