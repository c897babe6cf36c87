using System.Net;
using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Processing;
using GitLabMrBot.Processing.Reconciliation;
using Microsoft.Extensions.Logging;

namespace GitLabMrBot.FunctionalTests.GitLab;

/// <summary>The bot's GitLab client against a real HTTP server on loopback, with injected faults.</summary>
public sealed class GitLabClientTests
{
    private static readonly MergeRequestRef Mr = new(MiniGitLab.ProjectId, MiniGitLab.MrIid);
    // Calls are bounded by the client's own total timeout (one minute in the harness).
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task Every_request_sends_the_private_token_which_is_never_logged()
    {
        await using var h = await GitLabClientHarness.StartAsync();

        var me = await h.Client.GetCurrentUserAsync(Ct);
        var again = await h.Client.GetCurrentUserAsync(Ct);
        var mr = await h.Client.GetMergeRequestAsync(Mr, Ct);

        Assert.Equal(MiniGitLab.BotUserId, me.Id);
        Assert.Same(me, again);
        Assert.Equal(["existing"], mr.Labels);
        Assert.Equal("5", mr.ChangesCount);
        var requests = h.Server.Requests.ToList();
        Assert.Equal(["/api/v4/user", MiniGitLab.MrPath], requests.Select(r => r.Path));
        Assert.All(requests, r => Assert.Equal(MiniGitLab.Token, r.Token));
        Assert.Contains(h.Logs.At(LogLevel.Debug), m => m.Contains(MiniGitLab.MrPath, StringComparison.Ordinal) && m.Contains("200", StringComparison.Ordinal));
        Assert.DoesNotContain(h.Logs.Entries, e => e.Message.Contains(MiniGitLab.Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Diffs_are_read_across_three_pages_following_x_next_page()
    {
        await using var h = await GitLabClientHarness.StartAsync();

        var diffs = await h.Client.GetAllDiffsAsync(Mr, Ct);

        Assert.Equal(Enumerable.Range(1, MiniGitLab.DiffCount).Select(i => $"src/file{i}.cs"), diffs.Select(d => d.NewPath));
        var pages = h.Server.RequestsTo("GET", $"{MiniGitLab.MrPath}/diffs");
        Assert.Equal(["1", "2", "3"], pages.Select(r => r.Query["page"]));
        Assert.All(pages, r => Assert.Equal("100", r.Query["per_page"]));
    }

    [Fact]
    public async Task Too_many_requests_with_Retry_After_is_waited_for_then_retried()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.Inject("GET", MiniGitLab.MrPath, new Fault(429, RetryAfter: "1"));

        var mr = await h.Client.GetMergeRequestAsync(Mr, Ct);

        Assert.Equal(MiniGitLab.MrIid, mr.Iid);
        var attempts = h.Server.RequestsTo("GET", MiniGitLab.MrPath);
        Assert.Equal(2, attempts.Count);
        // The base backoff is 20 ms: only Retry-After explains a wait near one second.
        Assert.True(RecordedRequest.Between(attempts[0], attempts[1]) >= TimeSpan.FromMilliseconds(900), $"retried after {RecordedRequest.Between(attempts[0], attempts[1])}");
        Assert.Contains(h.Logs.At(LogLevel.Warning), m => m.Contains("429", StringComparison.Ordinal) && m.Contains(MiniGitLab.MrPath, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Retry_After_longer_than_the_allowed_wait_is_handed_to_the_caller()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.Inject("GET", MiniGitLab.MrPath, new Fault(429, RetryAfter: "3600"));

        var error = await Assert.ThrowsAsync<GitLabApiException>(() => h.Client.GetMergeRequestAsync(Mr, Ct));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.Equal(TimeSpan.FromHours(1), error.RetryAfter);
        Assert.Equal("Retry later", error.GitLabMessage);
        Assert.Single(h.Server.RequestsTo("GET", MiniGitLab.MrPath));
    }

    [Fact]
    public async Task Server_error_on_GET_is_retried()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.Inject("GET", MiniGitLab.MrPath, new Fault(500), times: 2);

        var mr = await h.Client.GetMergeRequestAsync(Mr, Ct);

        Assert.Equal("Add feature", mr.Title);
        Assert.Equal(3, h.Server.RequestsTo("GET", MiniGitLab.MrPath).Count);
    }

    [Fact]
    public async Task Dropped_connection_on_GET_is_retried()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.Inject("GET", MiniGitLab.MrPath, Fault.Drop());

        var mr = await h.Client.GetMergeRequestAsync(Mr, Ct);

        Assert.Equal(MiniGitLab.MrIid, mr.Iid);
        Assert.Equal(2, h.Server.RequestsTo("GET", MiniGitLab.MrPath).Count);
    }

    [Fact]
    public async Task Errors_that_outlast_the_retries_surface_as_GitLabApiException_with_GitLabs_message()
    {
        await using var h = await GitLabClientHarness.StartAsync(("GitLab:MaxRetryAttempts", "2"));
        h.Server.Inject("GET", MiniGitLab.MrPath, new Fault(503), times: 10);

        var error = await Assert.ThrowsAsync<GitLabApiException>(() => h.Client.GetMergeRequestAsync(Mr, Ct));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal("503 injected", error.GitLabMessage);
        Assert.True(error.OutcomeUnknown);
        Assert.Equal(3, h.Server.RequestsTo("GET", MiniGitLab.MrPath).Count);
        Assert.DoesNotContain(MiniGitLab.Token, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(null)]
    public async Task Note_POST_that_failed_after_being_stored_is_found_by_its_marker_not_posted_again(int? status)
    {
        await using var h = await GitLabClientHarness.StartAsync();
        var fault = status is null ? Fault.Drop(afterHandling: true) : new Fault(status, AfterHandling: true);
        h.Server.Inject("POST", $"{MiniGitLab.MrPath}/notes", fault);
        var marker = NoteMarkers.For("summary");

        var result = await h.Client.UpsertMarkedNoteAsync(Mr, marker, "Labels: backend", Ct);

        Assert.Equal(NoteUpsertOutcome.Created, result.Outcome);
        var note = Assert.Single(h.Server.Notes);
        Assert.Equal($"Labels: backend\n\n{marker}", note["body"]!.GetValue<string>());
        Assert.Equal(result.Note.Id, note["id"]!.GetValue<long>());
        Assert.Single(h.Server.RequestsTo("POST", $"{MiniGitLab.MrPath}/notes"));
    }

    [Fact]
    public async Task Note_POST_that_failed_before_being_stored_is_posted_again_after_checking()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.Inject("POST", $"{MiniGitLab.MrPath}/notes", new Fault(502));
        var marker = NoteMarkers.For("summary");

        var result = await h.Client.UpsertMarkedNoteAsync(Mr, marker, "Labels: backend", Ct);

        Assert.Equal(NoteUpsertOutcome.Created, result.Outcome);
        Assert.Single(h.Server.Notes);
        Assert.Equal(2, h.Server.RequestsTo("POST", $"{MiniGitLab.MrPath}/notes").Count);
        // Looked for the marker before each POST.
        Assert.Equal(["GET", "POST", "GET", "POST"], h.Server.Requests.Where(r => r.Path == $"{MiniGitLab.MrPath}/notes").Select(r => r.Method));
    }

    [Fact]
    public async Task Note_POST_answered_429_is_resent_by_the_pipeline_since_GitLab_refused_it_unprocessed()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.Inject("POST", $"{MiniGitLab.MrPath}/notes", new Fault(429, RetryAfter: "0"));

        var created = await h.Client.CreateNoteAsync(Mr, "hello", Ct);

        Assert.Equal("hello", created.Body);
        Assert.Equal(2, h.Server.RequestsTo("POST", $"{MiniGitLab.MrPath}/notes").Count);
        Assert.Single(h.Server.Notes);
    }

    [Fact]
    public async Task Upsert_edits_the_bots_note_only_when_its_text_changes()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        var marker = NoteMarkers.For("summary");
        // A human quoting the marker and a system note must not be mistaken for ours.
        h.Server.AddNote(MiniGitLab.HumanUserId, $"quoting {marker}");
        h.Server.AddNote(MiniGitLab.BotUserId, $"added label {marker}", system: true);

        var first = await h.Client.UpsertMarkedNoteAsync(Mr, marker, "v1", Ct);
        var same = await h.Client.UpsertMarkedNoteAsync(Mr, marker, "v1", Ct);
        var changed = await h.Client.UpsertMarkedNoteAsync(Mr, marker, "v2", Ct);

        Assert.Equal(NoteUpsertOutcome.Created, first.Outcome);
        Assert.Equal(NoteUpsertOutcome.Unchanged, same.Outcome);
        Assert.Equal(NoteUpsertOutcome.Updated, changed.Outcome);
        Assert.Equal(first.Note.Id, changed.Note.Id);
        Assert.Single(h.Server.RequestsTo("POST", $"{MiniGitLab.MrPath}/notes"));
        Assert.Single(h.Server.RequestsTo("PUT", $"{MiniGitLab.MrPath}/notes/{first.Note.Id}"));
        Assert.Equal(3, h.Server.Notes.Count);
        Assert.Equal($"v2\n\n{marker}", h.Server.Notes.Single(n => n["id"]!.GetValue<long>() == first.Note.Id)["body"]!.GetValue<string>());
        Assert.DoesNotContain(h.Logs.Entries, e => e.Message.Contains("v2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Label_PUT_is_retried_after_500_and_ends_in_the_wanted_state()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.Inject("PUT", MiniGitLab.MrPath, new Fault(500, AfterHandling: true));

        var mr = await h.Client.UpdateMergeRequestAsync(Mr, new MergeRequestUpdate { AddLabels = ["backend", "size::S"], RemoveLabels = ["existing"] }, Ct);

        Assert.Equal(["backend", "size::S"], mr.Labels);
        Assert.Equal(["backend", "size::S"], h.Server.MrLabels);
        var puts = h.Server.RequestsTo("PUT", MiniGitLab.MrPath);
        Assert.Equal(2, puts.Count);
        Assert.All(puts, p =>
        {
            var body = p.JsonBody!;
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

        await h.Client.GetMergeRequestAsync(Mr, Ct);
        using (GitLabRequestContext.Use("0b1c3b4c-aaaa-4c1e-9e2f-5d6b7a8c9d0e"))
        {
            // Also across a continuation on another thread, as in the worker.
            await Task.Run(() => h.Client.UpdateMergeRequestAsync(Mr, new MergeRequestUpdate { AddLabels = ["x"] }, Ct), Ct);
        }
        await h.Client.GetMergeRequestAsync(Mr, Ct);

        var requests = h.Server.Requests.ToList();
        Assert.Equal([null, "0b1c3b4c-aaaa-4c1e-9e2f-5d6b7a8c9d0e", null], requests.Select(r => r.EventUuid));
        Assert.Equal(["GET", "PUT", "GET"], requests.Select(r => r.Method));
    }

    [Fact]
    public async Task Missing_file_is_null_and_file_paths_are_sent_fully_encoded()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.Files[".gitlab/CODEOWNERS"] = "* @alice\n";

        var present = await h.Client.GetFileAsync(MiniGitLab.ProjectId, ".gitlab/CODEOWNERS", "main", Ct);
        var absent = await h.Client.GetFileAsync(MiniGitLab.ProjectId, "docs/none.md", null, Ct);

        Assert.Equal("* @alice\n", present);
        Assert.Null(absent);
        var raw = h.Server.Requests.Select(r => r.RawTarget).ToList();
        Assert.Equal("/api/v4/projects/1/repository/files/.gitlab%2FCODEOWNERS/raw?ref=main", raw[0]);
        Assert.Equal("/api/v4/projects/1/repository/files/docs%2Fnone.md/raw", raw[1]);
    }

    [Fact]
    public async Task Not_found_maps_to_GitLabApiException_with_GitLabs_message_without_retrying()
    {
        await using var h = await GitLabClientHarness.StartAsync();

        var error = await Assert.ThrowsAsync<GitLabApiException>(() => h.Client.GetMergeRequestAsync(new MergeRequestRef(MiniGitLab.ProjectId, 404), Ct));

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
        h.Server.Inject("POST", "/api/v4/projects/1/labels", new Fault(409));

        var created = await h.Client.EnsureLabelsAsync(
            MiniGitLab.ProjectId,
            [new("type::feature", "#FF0000"), new("bug", "#00FF00"), new("size::S", "#0000FF", "Small change")],
            Ct);

        Assert.Equal(["size::S"], created);
        var posts = h.Server.RequestsTo("POST", "/api/v4/projects/1/labels");
        Assert.Equal(["type::feature", "size::S"], posts.Select(p => p.JsonBody!["name"]!.GetValue<string>()));
        Assert.Equal("#0000FF", posts[1].JsonBody!["color"]!.GetValue<string>());
        Assert.Equal("Small change", posts[1].JsonBody!["description"]!.GetValue<string>());
        Assert.False(posts[0].JsonBody!.ContainsKey("description"));
    }

    [Fact]
    public async Task Label_create_is_marked_retry_safe_so_a_500_is_retried()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        h.Server.Inject("POST", "/api/v4/projects/1/labels", new Fault(500));

        var created = await h.Client.EnsureLabelsAsync(MiniGitLab.ProjectId, [new("size::S", "#0000FF")], Ct);

        Assert.Equal(["size::S"], created);
        Assert.Equal(2, h.Server.RequestsTo("POST", "/api/v4/projects/1/labels").Count);
        Assert.Contains("size::S", h.Server.ProjectLabels);
    }

    [Fact]
    public async Task User_lookups_return_null_for_unknown_users()
    {
        await using var h = await GitLabClientHarness.StartAsync();

        var alice = await h.Client.FindUserAsync("@alice", Ct);
        var nobody = await h.Client.FindUserAsync("nobody", Ct);
        var status = await h.Client.GetUserStatusAsync(MiniGitLab.HumanUserId, Ct);
        var noStatus = await h.Client.GetUserStatusAsync(12345, Ct);

        Assert.Equal(MiniGitLab.HumanUserId, alice!.Id);
        Assert.Null(nobody);
        Assert.Equal("busy", status!.Availability);
        Assert.Null(noStatus);
        Assert.Equal("alice", h.Server.Requests.First().Query["username"]);
    }

    [Fact]
    public async Task Rate_limiter_spaces_requests_when_configured_low()
    {
        // 120 per minute = 2 tokens each second into a bucket of 2: six requests at once need two refills.
        await using var h = await GitLabClientHarness.StartAsync(("GitLab:RequestsPerMinute", "120"), ("GitLab:RateLimitBurst", "1"));

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => h.Client.GetMergeRequestAsync(Mr, Ct)));

        var times = h.Server.Requests.Select(r => r.Timestamp).Order().ToList();
        Assert.Equal(6, times.Count);
        // However slow the machine, no second holds more than a full bucket plus one refill (without the limiter: all six).
        for (var i = 0; i < times.Count; i++)
        {
            var inWindow = times.Count(t => t >= times[i] && System.Diagnostics.Stopwatch.GetElapsedTime(times[i], t) < TimeSpan.FromSeconds(1));
            Assert.True(inWindow <= 4, $"{inWindow} requests within one second");
        }
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(times[0], times[^1]) >= TimeSpan.FromSeconds(1.5), "six requests were not spread out");
    }
}
