using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;
using GitLabMrBot.Processing;
using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>Issue 5's end-to-end behaviour: pushes, needs-rebase, commit conditions, the sweep and commands in comments.</summary>
public sealed class PushAndCommandTests
{
    private const string Config = """
        {
          "policies": [
            { "name": "frontend", "when": { "changedFiles": ["web/**", "**/*.css"] }, "then": { "addLabels": ["frontend"] } },
            { "name": "bugfix", "when": { "commitMessages": "^fix(\\(.+\\))?!?:" }, "then": { "addLabels": ["type::bug"] } }
          ],
          "sizeLabels": { "prefix": "size::", "thresholds": { "XS": 10, "S": 100, "M": 500, "L": 1000 }, "largest": "XL" },
          "needsRebase": { "label": "needs-rebase" },
          "sweep": { "groups": ["acme"] },
          "summaryComment": true
        }
        """;

    private static readonly Dictionary<string, string> Css = new() { ["web/app.css"] = "body { color: red; }\n" };

    /// <summary>Re-checks come quickly; the sweep looks back exactly to its last run, so a restart's sweep finds only what changed meanwhile.</summary>
    private static Dictionary<string, string?> Settings(string firstRecheck = "00:00:00.300", string maxRecheck = "00:00:01") => new()
    {
        ["Rechecks:FirstDelay"] = firstRecheck,
        ["Rechecks:MaxDelay"] = maxRecheck,
        ["Rechecks:MaxAttempts"] = "60",
        ["Sweep:Overlap"] = "00:00:00",
        // A batch cut short by a stop is claimed again soon after the restart.
        ["Inbox:Lease"] = "00:00:06",
    };

    private static Dictionary<string, string?> Files(IReadOnlyDictionary<string, string> files) => files.ToDictionary(f => f.Key, f => (string?)f.Value);

    private static string Lines(int count, string prefix = "line") => string.Concat(Enumerable.Range(1, count).Select(i => $"{prefix} {i}\n"));

    private static async Task<IReadOnlyList<StoredDelivery>> StoredAsync(BotWithGitLab env) => await env.Bot.Store.ListAsync(null, CancellationToken.None);

    private static Task WaitForLabelsAsync(BotWithGitLab env, GitLabMergeRequest mr, Func<IReadOnlyList<string>, bool> condition, string what) =>
        Eventually.HoldsAsync(() => condition(env.GitLab.GetMergeRequest(mr).Labels), what, TimeSpan.FromSeconds(60));

    private static Task WaitForPendingRecheckAsync(BotWithGitLab env, GitLabMergeRequest mr) =>
        Eventually.HoldsAsync(
            async () => (await StoredAsync(env)).Any(d => d.Subject == $"mr:{mr.ProjectId}:{mr.Iid}" && d.DedupeKey.StartsWith("recheck:", StringComparison.Ordinal) && d.Status == DeliveryStatus.Pending),
            "a mergeability re-check to be queued", TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Push_adding_commits_to_the_source_branch_updates_file_and_size_labels()
    {
        // Push events only: whatever the bot does here, it does because of the push.
        await using var env = await BotWithGitLab.StartAsync(Config, Settings(), new HookEvents(Push: true, MergeRequests: false, Notes: false));
        env.GitLab.Push(env.Alice, env.Project, "feature", Files(new Dictionary<string, string> { ["notes.txt"] = "one\n" }));
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Feature", "feature");
        await env.WaitForQuietAsync();
        env.GitLab.ClearRequests();

        env.GitLab.Push(env.Alice, env.Project, "feature", Files(new Dictionary<string, string> { ["web/app.css"] = Lines(150, "a {}") }));
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "size::M"], env.GitLab.GetMergeRequest(mr).Labels.Order());
        Assert.Contains(await StoredAsync(env), d =>
            d.Event == ReconcileRequest.EventName && d.Subject == $"mr:{mr.ProjectId}:{mr.Iid}" && d.DedupeKey.StartsWith("push:", StringComparison.Ordinal) && d.Status == DeliveryStatus.Done);
        Assert.Contains(env.GitLab.Actions, a => a.Contains("source_branch=feature", StringComparison.Ordinal));
        Assert.Contains(env.BotNotes(mr), n => n.Contains("size::M", StringComparison.Ordinal));
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Push_to_main_sets_needs_rebase_once_gitlab_settles_on_conflict_and_a_resolving_push_removes_it()
    {
        await using var env = await BotWithGitLab.StartAsync(Config, Settings());
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style", "styles", files: Files(Css));
        await env.WaitForQuietAsync();

        // GitLab marks the MR "checking" when its target moves; only later does it know the answer.
        env.GitLab.SetMergeStatus(mr, "checking");
        env.GitLab.Push(env.Alice, env.Project, "main", Files(new Dictionary<string, string> { ["web/app.css"] = "body { color: blue; }\n" }));
        await WaitForPendingRecheckAsync(env, mr);
        Assert.DoesNotContain("needs-rebase", env.GitLab.GetMergeRequest(mr).Labels);

        env.GitLab.SetMergeStatus(mr, null, hasConflicts: true);
        await WaitForLabelsAsync(env, mr, l => l.Contains("needs-rebase"), "needs-rebase to be added");
        await env.WaitForQuietAsync();
        Assert.Contains(env.BotNotes(mr), n => n.Contains("needs-rebase", StringComparison.Ordinal));

        // The author resolves the conflict; while GitLab re-checks, the label stays.
        env.GitLab.SetMergeStatus(mr, "checking");
        env.GitLab.Push(env.Alice, env.Project, "styles", Files(new Dictionary<string, string> { ["web/app.css"] = "body { color: blue; }\n" }));
        await WaitForPendingRecheckAsync(env, mr);
        Assert.Contains("needs-rebase", env.GitLab.GetMergeRequest(mr).Labels);

        env.GitLab.SetMergeStatus(mr, "mergeable");
        await WaitForLabelsAsync(env, mr, l => !l.Contains("needs-rebase"), "needs-rebase to be removed");
        await env.WaitForQuietAsync();
        Assert.Equal(["frontend", "size::XS"], env.GitLab.GetMergeRequest(mr).Labels.Order());
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task A_pending_recheck_survives_a_bot_restart()
    {
        await using var env = await BotWithGitLab.StartAsync(Config, Settings(firstRecheck: "00:00:03", maxRecheck: "00:00:03"));
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style", "styles", files: Files(Css));
        await env.WaitForQuietAsync();
        // A restart whose sweep starts after the MR's last update: the next restart's sweep then finds nothing new,
        // so only the stored re-check can bring the label.
        await env.StopBotAsync();
        await env.StartBotAsync();
        await env.WaitForQuietAsync();

        env.GitLab.SetMergeStatus(mr, "checking");
        env.GitLab.Push(env.Alice, env.Project, "main", Files(new Dictionary<string, string> { ["web/app.css"] = "body { color: blue; }\n" }));
        await WaitForPendingRecheckAsync(env, mr);
        var storedBeforeRestart = (await StoredAsync(env)).Max(d => long.Parse(d.Id, System.Globalization.CultureInfo.InvariantCulture));
        await env.StopBotAsync();
        env.GitLab.SetMergeStatus(mr, null, hasConflicts: true);

        await env.StartBotAsync();
        await WaitForLabelsAsync(env, mr, l => l.Contains("needs-rebase"), "needs-rebase to be added after the restart");
        await env.WaitForQuietAsync();

        var stored = await StoredAsync(env);
        Assert.Contains(stored, d => d.DedupeKey.StartsWith("recheck:", StringComparison.Ordinal) && d.Status == DeliveryStatus.Done);
        // The new bot's sweep found nothing updated: the label came from the re-check stored before the stop.
        Assert.DoesNotContain(stored, d => long.Parse(d.Id, System.Globalization.CultureInfo.InvariantCulture) > storedBeforeRestart && d.DedupeKey.StartsWith("sweep:", StringComparison.Ordinal));
        Assert.Empty(env.Problems());
    }

    [Theory]
    [InlineData("tag_push.json", "Tag Push Hook", null)]
    [InlineData("push.json", "Push Hook", "refs/tags/v1.0.0")]
    [InlineData("push.json", "Push Hook", "delete")]
    [InlineData("push.json", "System Hook", "delete")]
    public async Task Tag_pushes_and_branch_deletions_are_ignored_with_202_and_no_writes(string payload, string header, string? change)
    {
        await using var env = await BotWithGitLab.StartAsync(Config, Settings());
        env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style", "master", files: Files(Css));
        await env.WaitForQuietAsync();
        env.GitLab.ClearRequests();
        var before = (await StoredAsync(env)).Count;

        var body = JsonNode.Parse(Payloads.Read(payload))!;
        body["project_id"] = env.Project.Id;
        body["project"]!["id"] = env.Project.Id;
        if (change == "delete")
        {
            body["after"] = "0000000000000000000000000000000000000000";
            body["checkout_sha"] = null;
        }
        else if (change is not null)
        {
            body["ref"] = change;
        }
        using var response = await env.Bot.Client.SendAsync(BotHost.WebhookRequest(header, Encoding.UTF8.GetBytes(body.ToJsonString())));
        await env.WaitForQuietAsync();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains("\"ignored\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before, (await StoredAsync(env)).Count);
        Assert.Empty(env.GitLab.Requests);
    }

    [Fact]
    public async Task An_mr_opened_while_the_bot_was_stopped_is_evaluated_by_the_sweep_after_it_starts()
    {
        await using var env = await BotWithGitLab.StartAsync(Config, Settings());
        // Another project of the group, never seen by the bot: only sweep.groups brings its MRs.
        var other = env.GitLab.AddProject("acme/other", files: new Dictionary<string, string> { ["README.md"] = "# other\n" });
        env.GitLab.AddMember(other, env.BotUser, AccessLevel.Developer);
        env.GitLab.AddMember(other, env.Alice, AccessLevel.Developer);
        env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Seen", "seen", files: Files(Css));
        await env.WaitForQuietAsync();

        await env.StopBotAsync();
        var missed = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Missed", "missed", files: Files(Css));
        var missedElsewhere = env.GitLab.OpenMergeRequest(other, env.Alice, "Missed too", "missed", files: Files(Css));
        await env.GitLab.WaitForDeliveriesAsync(TimeSpan.FromSeconds(60));
        Assert.Contains(env.GitLab.Deliveries, d => d.Event == "Merge Request Hook" && d.Payload["object_attributes"]!["title"]!.GetValue<string>() == "Missed" && !d.Succeeded);
        await env.StartBotAsync();
        // The sweep starts in the background: "quiet" before it began would prove nothing, so its outcome is awaited.
        await Eventually.HoldsAsync(
            () => env.GitLab.GetMergeRequest(missed).Labels.Count > 0 && env.GitLab.GetMergeRequest(missedElsewhere).Labels.Count > 0,
            "the sweep to label both missed MRs", TimeSpan.FromSeconds(60));
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "size::XS"], env.GitLab.GetMergeRequest(missed).Labels.Order());
        Assert.Equal(["frontend", "size::XS"], env.GitLab.GetMergeRequest(missedElsewhere).Labels.Order());
        var sweeps = (await StoredAsync(env)).Where(d => d.DedupeKey.StartsWith("sweep:", StringComparison.Ordinal)).Select(d => d.Subject).ToList();
        Assert.Contains($"mr:{missed.ProjectId}:{missed.Iid}", sweeps);
        Assert.Contains($"mr:{missedElsewhere.ProjectId}:{missedElsewhere.Iid}", sweeps);
        Assert.Single(env.BotNotes(missed));
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Recheck_by_a_developer_reevaluates_but_not_by_a_guest_nor_inside_a_quote_or_code()
    {
        await using var env = await BotWithGitLab.StartAsync(Config, Settings());
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style", "styles", files: Files(Css));
        await env.WaitForQuietAsync();
        // GitLab's answer changes without any webhook: only a re-evaluation can notice.
        env.GitLab.SetMergeStatus(mr, null, hasConflicts: true);
        env.GitLab.ClearRequests();

        env.GitLab.AddNote(env.Guest, mr, "@mrbot recheck");
        env.GitLab.AddNote(env.Alice, mr, "> @mrbot recheck\n\nQuoting the bot's manual.");
        env.GitLab.AddNote(env.Alice, mr, "Run this:\n\n```\n@mrbot recheck\n```\n\nor `@mrbot recheck`, or\n\n    @mrbot recheck");
        env.GitLab.AddNote(env.Alice, mr, "Nice work, @mrbot!");
        await env.WaitForQuietAsync();

        Assert.Empty(env.Writes);
        Assert.DoesNotContain("needs-rebase", env.GitLab.GetMergeRequest(mr).Labels);
        // A comment that is no command costs no evaluation: the MR is never read.
        Assert.DoesNotContain(env.GitLab.Actions, a => a.StartsWith($"GET /projects/{mr.ProjectId}/merge_requests/{mr.Iid}", StringComparison.Ordinal) && !a.Contains("/notes", StringComparison.Ordinal));

        env.GitLab.AddNote(env.Alice, mr, "@mrbot recheck");
        await env.WaitForQuietAsync();

        Assert.Contains("needs-rebase", env.GitLab.GetMergeRequest(mr).Labels);
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Help_answers_once_even_when_the_command_is_delivered_again()
    {
        await using var env = await BotWithGitLab.StartAsync(Config, Settings());
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style", "styles", files: Files(Css));
        await env.WaitForQuietAsync();

        var command = env.GitLab.AddNote(env.Alice, mr, "@mrbot help");
        await env.WaitForQuietAsync();
        var delivery = env.GitLab.Deliveries.Last(d => d.Event == "Note Hook" && d.Payload["object_attributes"]!["id"]!.GetValue<int>() == command.Id);
        // The same note again under a new key: not a duplicate to the inbox, so the handler itself must not answer twice.
        using (var again = await env.Bot.Client.SendAsync(BotHost.WebhookRequest(delivery.Event, Encoding.UTF8.GetBytes(delivery.Body))))
        {
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        }
        await env.WaitForQuietAsync();

        var help = Assert.Single(env.BotNotes(mr), n => n.Contains("@mrbot recheck", StringComparison.Ordinal));
        Assert.Contains("@mrbot help", help, StringComparison.Ordinal);
        Assert.Contains($"help:{command.Id}", help, StringComparison.Ordinal);
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Commit_messages_condition_labels_an_mr_with_a_fix_commit()
    {
        await using var env = await BotWithGitLab.StartAsync(Config, Settings());
        env.GitLab.Push(env.Alice, env.Project, "nulls", Files(new Dictionary<string, string> { ["src/a.txt"] = "a\n" }), message: "fix(core): handle nulls\n\nDetails.");
        var fix = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Handle nulls", "nulls");
        env.GitLab.Push(env.Alice, env.Project, "tidy", Files(new Dictionary<string, string> { ["src/b.txt"] = "b\n" }), message: "chore: tidy, not a fix: really");
        var chore = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Tidy", "tidy");
        await env.WaitForQuietAsync();

        Assert.Contains("type::bug", env.GitLab.GetMergeRequest(fix).Labels);
        Assert.DoesNotContain("type::bug", env.GitLab.GetMergeRequest(chore).Labels);
        Assert.Contains(env.GitLab.Actions, a => a.Contains($"/merge_requests/{fix.Iid}/commits", StringComparison.Ordinal));
        Assert.Empty(env.Problems());
    }
}
