using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;
using GitLabMrBot.TestGitLab;
using GitLabMrBot.TestGitLab.Webhooks;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>Issue 3's end-to-end behaviour: label policies through real webhooks and the real REST API.</summary>
public sealed class LabelPolicyTests
{
    private static readonly Dictionary<string, string?> CssAndDocs = new()
    {
        ["web/app.css"] = "body { color: red; }\n",
        ["docs/x.md"] = "# X\n",
    };

    private static bool IsLabelPut(string action) => action.StartsWith("PUT /projects/", StringComparison.Ordinal) && action.Contains("/merge_requests/", StringComparison.Ordinal) && !action.Contains("/notes", StringComparison.Ordinal);

    private static bool IsNoteWrite(string action) => action.Contains("/notes", StringComparison.Ordinal);

    [Fact]
    public async Task Opened_MR_gets_its_file_and_size_labels_and_one_summary_note()
    {
        await using var env = await BotWithGitLab.StartAsync();

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: CssAndDocs);
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "size::XS"], env.GitLab.GetMergeRequest(mr).Labels.Order());
        var note = Assert.Single(env.BotNotes(mr));
        Assert.Contains("frontend", note);
        Assert.Contains("web/app.css", note);
        Assert.Contains("size::XS", note);
        // The configured colour was used for the label the bot created.
        Assert.Equal("#1f75cb", env.GitLab.GetLabels(env.Project).Single(l => l.Name == "frontend").Color, ignoreCase: true);
        // One PUT and one note, plus creating the missing configured label the first time.
        var writes = env.Writes;
        Assert.Single(writes, IsLabelPut);
        Assert.Single(writes, IsNoteWrite);
        Assert.Equal(3, writes.Count);
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Retitling_to_feat_adds_type_feature_with_one_PUT_and_one_summary_edit()
    {
        await using var env = await BotWithGitLab.StartAsync();
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: CssAndDocs);
        await env.WaitForQuietAsync();
        env.GitLab.ClearRequests();

        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Title = "feat: style the app" });
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "size::XS", "type::feature"], env.GitLab.GetMergeRequest(mr).Labels.Order());
        var writes = env.Writes;
        Assert.Equal(2, writes.Count);
        Assert.Contains(writes, w => IsLabelPut(w) && w.Contains("add_labels=type::feature", StringComparison.Ordinal));
        Assert.Contains(writes, w => w.StartsWith("PUT", StringComparison.Ordinal) && IsNoteWrite(w));
        var note = Assert.Single(env.BotNotes(mr));
        Assert.Contains("type::feature", note);
        Assert.Contains("feature", note);
    }

    [Fact]
    public async Task Redelivering_the_same_event_or_an_echo_writes_nothing()
    {
        await using var env = await BotWithGitLab.StartAsync();
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: CssAndDocs);
        await env.WaitForQuietAsync();
        var open = env.GitLab.Deliveries.First(d => d.Event == "Merge Request Hook");
        env.GitLab.ClearRequests();

        // The same delivery again (GitLab's "Resend request": same Idempotency-Key) is a duplicate.
        using (var again = await env.Bot.Client.SendAsync(Resend(open, open.IdempotencyKey)))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }
        // The same content under a new key is processed: the MR is re-read and found settled.
        using (var fresh = await env.Bot.Client.SendAsync(Resend(open, Guid.NewGuid().ToString())))
        {
            Assert.Equal(HttpStatusCode.Accepted, fresh.StatusCode);
        }
        await env.WaitForQuietAsync();

        Assert.Empty(env.Writes);
        Assert.Contains(env.GitLab.Requests, r => r.Method == "GET" && r.Path.EndsWith($"/merge_requests/{mr.Iid}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_bots_own_writes_echoed_by_GitLab_produce_no_writes()
    {
        await using var env = await BotWithGitLab.StartAsync();
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: CssAndDocs);
        await env.WaitForQuietAsync();

        // The bot's one label PUT made GitLab fire one Merge Request Hook besides the open event's (its echo): held back
        // by GitLab's recursion detection or received by the bot. Either way the bot wrote exactly the first
        // evaluation's writes and nothing after.
        var delivered = env.GitLab.Deliveries.Where(d => d.Event == "Merge Request Hook").Select(d => d.Payload).ToList();
        var heldBack = env.GitLab.BlockedDeliveries.Where(d => d.Event == "Merge Request Hook").Select(d => JsonNode.Parse(d.Body)!.AsObject());
        Assert.Equal("open", delivered[0]["object_attributes"]!["action"]!.GetValue<string>());
        var echo = Assert.Single(delivered.Skip(1).Concat(heldBack));
        Assert.Equal("update", echo["object_attributes"]!["action"]!.GetValue<string>());
        Assert.True(echo["changes"]!.AsObject().ContainsKey("labels"), "the echo is the bot's label change");
        Assert.Equal(3, env.Writes.Count);
        // And when an echo does arrive (a write without the event UUID), it changes nothing either.
        env.GitLab.ClearRequests();
        using (var response = await env.Bot.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", Encoding.UTF8.GetBytes(echo.ToJsonString()))))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        await env.WaitForQuietAsync();
        Assert.Empty(env.Writes);
        // Processed, and known for the bot's own write by its actor and changes: not even read (issue 11).
        Assert.All(await env.Bot.Store.ListAsync(null, CancellationToken.None), d => Assert.Equal(DeliveryStatus.Done, d.Status));
        Assert.DoesNotContain(env.GitLab.Requests, r => r.Method == "GET" && r.Path.EndsWith($"/merge_requests/{mr.Iid}", StringComparison.Ordinal));
        Assert.Single(env.BotNotes(mr));
    }

    [Fact]
    public async Task A_label_a_human_removed_is_not_re_added_and_one_a_human_added_is_never_removed()
    {
        await using var env = await BotWithGitLab.StartAsync();
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: CssAndDocs);
        await env.WaitForQuietAsync();

        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { RemoveLabels = ["frontend"], AddLabels = ["docs"] });
        await env.WaitForQuietAsync();
        // A push re-triggers evaluation with the same policies still matching.
        env.GitLab.Push(env.Alice, env.Project, "styles", new Dictionary<string, string?> { ["web/more.css"] = "a {}\n" });
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Title = "Style the app more" });
        await env.WaitForQuietAsync();

        var labels = env.GitLab.GetMergeRequest(mr).Labels;
        Assert.DoesNotContain("frontend", labels);
        Assert.Contains("docs", labels);
        Assert.Contains("size::XS", labels);
        Assert.Contains("not", Assert.Single(env.BotNotes(mr)), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_closed_MR_is_never_touched()
    {
        await using var env = await BotWithGitLab.StartAsync();
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: CssAndDocs);
        await env.WaitForQuietAsync();
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { StateEvent = "close" });
        await env.WaitForQuietAsync();
        env.GitLab.ClearRequests();

        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Title = "feat: closed anyway", RemoveLabels = ["size::XS"] });
        await env.WaitForQuietAsync();

        Assert.Empty(env.Writes);
        Assert.Equal(["frontend"], env.GitLab.GetMergeRequest(mr).Labels);
    }

    [Fact]
    public async Task Dry_run_writes_nothing()
    {
        var config = BotWithGitLab.DefaultConfig.Replace("\"summaryComment\": true", "\"summaryComment\": true, \"dryRun\": true", StringComparison.Ordinal);
        await using var env = await BotWithGitLab.StartAsync(config);

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "feat: style the app", "styles", files: CssAndDocs);
        await env.WaitForQuietAsync();

        Assert.Empty(env.Writes);
        Assert.Empty(env.GitLab.GetMergeRequest(mr).Labels);
        Assert.Contains(env.Bot.Logs.Entries, e => e.Message.Contains("Dry run", StringComparison.Ordinal) && e.Message.Contains("frontend", StringComparison.Ordinal));
    }

    public static TheoryData<string, string, string> WriteFaults => new()
    {
        { "PUT", "/projects/*/merge_requests/*", "429" },
        { "PUT", "/projects/*/merge_requests/*", "500" },
        { "PUT", "/projects/*/merge_requests/*", "drop" },
        { "PUT", "/projects/*/merge_requests/*", "500-after" },
        { "POST", "/projects/*/merge_requests/*/notes", "429" },
        { "POST", "/projects/*/merge_requests/*/notes", "500" },
        { "POST", "/projects/*/merge_requests/*/notes", "drop" },
        { "POST", "/projects/*/merge_requests/*/notes", "500-after" },
        { "POST", "/projects/*/labels", "500-after" },
        { "POST", "/projects/*/labels", "drop" },
    };

    [Theory]
    [MemberData(nameof(WriteFaults))]
    public async Task A_failing_write_is_retried_and_ends_in_the_right_state_with_one_note(string method, string route, string fault)
    {
        await using var env = await BotWithGitLab.StartAsync();
        env.GitLab.InjectFault(method, route, fault switch
        {
            "429" => Fault.RateLimited(1),
            "500" => Fault.ServerError(),
            "500-after" => Fault.ServerError(afterApplying: true),
            _ => Fault.DropConnection(),
        });

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "feat: style the app", "styles", files: CssAndDocs);
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "size::XS", "type::feature"], env.GitLab.GetMergeRequest(mr).Labels.Order());
        Assert.Single(env.BotNotes(mr));
        Assert.Contains(env.GitLab.Requests, r => r.Fault is not null);
    }

    private static HttpRequestMessage Resend(WebhookDelivery delivery, string idempotencyKey)
    {
        var request = BotHost.WebhookRequest(delivery.Event, Encoding.UTF8.GetBytes(delivery.Body), idempotencyKey: idempotencyKey);
        request.Headers.Add("X-Gitlab-Event-UUID", delivery.EventUuid);
        return request;
    }
}
