using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>
/// Issue 11's read budget (items 1, 3 and 6): what the bot reads once per version or per time to live, when each cache must
/// let go, and the naive mode that reads everything again. Calls are counted in the test GitLab's request log.
/// </summary>
public sealed class ApiBudgetTests
{
    private static readonly Dictionary<string, string?> CssAndDocs = new()
    {
        ["web/app.css"] = "body { color: red; }\n",
        ["docs/x.md"] = "# X\n",
    };

    private const string ReviewerConfig = """
        {
          "policies": [ { "name": "api", "when": { "changedFiles": ["src/api/**"] }, "then": { "addLabels": ["backend"] } } ],
          "reviewers": { "count": 1, "codeOwners": true, "strategy": "round-robin", "skipBusy": true },
          "summaryComment": true
        }
        """;

    private static readonly Dictionary<string, string?> ApiChange = new() { ["src/api/orders.cs"] = "class Orders {}\n" };

    private static int Count(BotWithGitLab env, string method, string pathEnd) =>
        env.GitLab.Actions.Count(a => a.StartsWith(method + " ", StringComparison.Ordinal) && PathOf(a).EndsWith(pathEnd, StringComparison.Ordinal));

    // "GET /projects/1/labels?page=1 …" → "/projects/1/labels"
    private static string PathOf(string action)
    {
        var path = action.Split(' ')[1];
        var query = path.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? path : path[..query];
    }

    private static async Task<GitLabMergeRequest> OpenAsync(BotWithGitLab env, string title, IReadOnlyDictionary<string, string?> files)
    {
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, title, $"topic-{Guid.NewGuid():N}", files: files);
        await env.WaitForQuietAsync();
        return mr;
    }

    // Developers bob and carol; CODEOWNERS on main gives src/api/ to bob; one MR opened there.
    private static async Task<GitLabMergeRequest> OpenWithBobOwningTheApiAsync(BotWithGitLab env)
    {
        foreach (var name in new[] { "bob", "carol" })
        {
            env.GitLab.AddMember(env.Project, env.GitLab.AddUser(name), AccessLevel.Developer);
        }
        env.GitLab.Push(env.Alice, env.Project, "main", new Dictionary<string, string?> { ["CODEOWNERS"] = "/src/api/ @bob\n" });
        return await OpenAsync(env, "Add orders API", ApiChange);
    }

    [Fact]
    public async Task Item3_label_events_are_not_read_on_an_event_that_adds_no_label()
    {
        await using var env = await BotWithGitLab.StartAsync();
        var mr = await OpenAsync(env, "Style the app", CssAndDocs);
        env.GitLab.ClearRequests();

        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Description = "Now with a description." });
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "size::XS"], env.GitLab.GetMergeRequest(mr).Labels.Order());
        Assert.Equal(0, Count(env, "GET", "/resource_label_events"));
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item3_label_events_are_read_when_the_plan_would_add_a_label_and_a_human_removal_still_wins()
    {
        await using var env = await BotWithGitLab.StartAsync();
        var mr = await OpenAsync(env, "Style the app", CssAndDocs);
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { RemoveLabels = ["frontend"] });
        await env.WaitForQuietAsync();
        env.GitLab.ClearRequests();

        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Title = "Style the app, again" });
        await env.WaitForQuietAsync();

        // Decided without the history, the plan re-adds frontend; the events show alice removed it, so it stays removed.
        Assert.Equal(["size::XS"], env.GitLab.GetMergeRequest(mr).Labels);
        Assert.Equal(1, Count(env, "GET", "/resource_label_events"));
        Assert.DoesNotContain(env.Writes, w => w.Contains("add_labels", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Item1_diffs_are_read_once_per_head_SHA_and_again_after_a_push()
    {
        await using var env = await BotWithGitLab.StartAsync();
        var mr = await OpenAsync(env, "Style the app", CssAndDocs);
        env.GitLab.ClearRequests();

        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Title = "Style the app, again" });
        await env.WaitForQuietAsync();
        Assert.Equal(0, Count(env, "GET", "/diffs"));

        // A new head: 20 more lines make it size::S, which only a fresh read of the diffs can tell.
        var source = env.GitLab.GetMergeRequest(mr).SourceBranch;
        env.GitLab.Push(env.Alice, env.Project, source, new Dictionary<string, string?> { ["web/more.css"] = string.Concat(Enumerable.Repeat("a { }\n", 20)) });
        await env.WaitForQuietAsync();

        Assert.Equal(1, Count(env, "GET", "/diffs"));
        Assert.Equal(["frontend", "size::S"], env.GitLab.GetMergeRequest(mr).Labels.Order());
    }

    [Fact]
    public async Task Item1_the_project_labels_are_read_once_for_a_burst_of_MRs()
    {
        await using var env = await BotWithGitLab.StartAsync();

        await OpenAsync(env, "Style the app", CssAndDocs);
        await OpenAsync(env, "Style the app more", CssAndDocs);
        await OpenAsync(env, "Style the app even more", CssAndDocs);

        // The first MR reads the list and creates frontend and size::XS (then reads it again: it changed); the rest share it.
        Assert.Equal(2, Count(env, "GET", "/labels"));
        Assert.Equal("#1f75cb", env.GitLab.GetLabels(env.Project).Single(l => l.Name == "frontend").Color, ignoreCase: true);
        Assert.Equal(1, Count(env, "GET", "/user"));
    }

    [Fact]
    public async Task Item1_a_label_deleted_in_GitLab_is_created_again_with_its_colour_after_the_time_to_live()
    {
        await using var env = await BotWithGitLab.StartAsync(settings: new Dictionary<string, string?> { ["Cache:TimeToLive"] = "00:00:00.001" });
        var mr = await OpenAsync(env, "Style the app", CssAndDocs);
        Assert.True(env.GitLab.DeleteLabel(env.Project, "frontend"));
        env.GitLab.ClearRequests();

        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Title = "Style the app, again" });
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "size::XS"], env.GitLab.GetMergeRequest(mr).Labels.Order());
        Assert.Equal("#1f75cb", env.GitLab.GetLabels(env.Project).Single(l => l.Name == "frontend").Color, ignoreCase: true);
        Assert.Equal(1, Count(env, "POST", "/labels"));
    }

    [Fact]
    public async Task Item1_statuses_are_shared_by_MRs_within_the_time_to_live()
    {
        await using var env = await BotWithGitLab.StartAsync(ReviewerConfig);
        var bob = env.GitLab.AddUser("bob");
        env.GitLab.AddMember(env.Project, bob, AccessLevel.Developer);
        env.GitLab.Push(env.Alice, env.Project, "main", new Dictionary<string, string?> { ["CODEOWNERS"] = "/src/api/ @bob\n" });
        await env.WaitForQuietAsync();

        var first = await OpenAsync(env, "Add orders API", ApiChange);
        var second = await OpenAsync(env, "Add invoices API", new Dictionary<string, string?> { ["src/api/invoices.cs"] = "class Invoices {}\n" });

        Assert.Equal(["bob"], env.GitLab.GetMergeRequest(first).Reviewers);
        Assert.Equal(["bob"], env.GitLab.GetMergeRequest(second).Reviewers);
        Assert.Equal(1, Count(env, "GET", $"/users/{bob.Id}/status"));
        Assert.Equal(1, env.GitLab.Actions.Count(a => a.StartsWith("GET /users ", StringComparison.Ordinal) && a.Contains("username=bob", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Item1_a_status_change_is_seen_after_the_time_to_live()
    {
        await using var env = await BotWithGitLab.StartAsync(ReviewerConfig, new Dictionary<string, string?> { ["Cache:TimeToLive"] = "00:00:00.001" });
        var bob = env.GitLab.AddUser("bob");
        env.GitLab.AddMember(env.Project, bob, AccessLevel.Developer);
        env.GitLab.Push(env.Alice, env.Project, "main", new Dictionary<string, string?> { ["CODEOWNERS"] = "/src/api/ @bob\n" });
        await env.WaitForQuietAsync();
        var first = await OpenAsync(env, "Add orders API", ApiChange);
        Assert.Equal(["bob"], env.GitLab.GetMergeRequest(first).Reviewers);

        env.GitLab.SetUserStatus(bob, "busy");
        var second = await OpenAsync(env, "Add invoices API", new Dictionary<string, string?> { ["src/api/invoices.cs"] = "class Invoices {}\n" });

        Assert.Empty(env.GitLab.GetMergeRequest(second).Reviewers);
        Assert.Contains("`@bob`: status is busy", Assert.Single(env.BotNotes(second)));
    }

    [Fact]
    public async Task Item1_CODEOWNERS_come_from_the_target_branch_head_once_it_moved()
    {
        await using var env = await BotWithGitLab.StartAsync(ReviewerConfig, new Dictionary<string, string?> { ["Cache:TimeToLive"] = "00:00:00.001" });
        var first = await OpenWithBobOwningTheApiAsync(env);
        // A branch started before the owners change: its diff starts at the old main, as GitLab's start_sha then says.
        env.GitLab.Push(env.Alice, env.Project, "topic-invoices", new Dictionary<string, string?> { ["src/api/invoices.cs"] = "class Invoices {}\n" }, startFrom: "main");
        env.GitLab.Push(env.Alice, env.Project, "main", new Dictionary<string, string?> { ["CODEOWNERS"] = "/src/api/ @carol\n" });
        await env.WaitForQuietAsync();

        var second = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Add invoices API", "topic-invoices");
        await env.WaitForQuietAsync();

        // GitLab loads CODEOWNERS from the target branch as it is now (docs/gitlab-behaviour.md §4).
        Assert.Equal(["bob"], env.GitLab.GetMergeRequest(first).Reviewers);
        Assert.Equal(["carol"], env.GitLab.GetMergeRequest(second).Reviewers);
    }

    [Fact]
    public async Task Item1_CODEOWNERS_are_read_once_for_MRs_of_the_same_target_head()
    {
        await using var env = await BotWithGitLab.StartAsync(ReviewerConfig);
        var bob = env.GitLab.AddUser("bob");
        env.GitLab.AddMember(env.Project, bob, AccessLevel.Developer);
        env.GitLab.Push(env.Alice, env.Project, "main", new Dictionary<string, string?> { ["CODEOWNERS"] = "/src/api/ @bob\n" });
        await env.WaitForQuietAsync();

        await OpenAsync(env, "Add orders API", ApiChange);
        await OpenAsync(env, "Add invoices API", new Dictionary<string, string?> { ["src/api/invoices.cs"] = "class Invoices {}\n" });

        Assert.Equal(1, env.GitLab.Actions.Count(a => a.StartsWith("GET ", StringComparison.Ordinal) && a.Contains("/repository/files/", StringComparison.Ordinal)));
        // The push to main told the bot its head: no branch lookup (before the push hook set it: one).
        Assert.Equal(0, env.GitLab.Actions.Count(a => a.StartsWith("GET ", StringComparison.Ordinal) && a.Contains("/repository/branches/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Item6_naive_mode_reads_everything_again_and_decides_the_same()
    {
        await using var env = await BotWithGitLab.StartAsync(settings: new Dictionary<string, string?> { ["Cache:Enabled"] = "false" });
        var mr = await OpenAsync(env, "Style the app", CssAndDocs);
        var notesBefore = env.BotNotes(mr);
        env.GitLab.ClearRequests();

        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Description = "Now with a description." });
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "size::XS"], env.GitLab.GetMergeRequest(mr).Labels.Order());
        Assert.Equal(notesBefore, env.BotNotes(mr));
        Assert.Equal(1, Count(env, "GET", "/user"));
        Assert.Equal(1, Count(env, "GET", "/resource_label_events"));
        Assert.Equal(1, Count(env, "GET", "/diffs"));
    }
    [Fact]
    public async Task Item1_an_update_hook_for_the_bots_own_label_write_is_not_evaluated_but_a_human_label_change_is()
    {
        await using var env = await BotWithGitLab.StartAsync();
        env.GitLab.AddLabel(env.Project, "triage");
        var mr = await OpenAsync(env, "Style the app", CssAndDocs);
        env.GitLab.ClearRequests();

        // A write of the bot's account that GitLab's recursion detection lets through (one not made for a delivery, as a
        // sweep's): GitLab sends an update hook whose actor is the bot and whose only change is the labels.
        env.GitLab.UpdateMergeRequest(env.BotUser, mr, new MergeRequestUpdate { AddLabels = ["triage"] });
        await env.WaitForQuietAsync();
        Assert.Empty(env.GitLab.Actions);

        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { RemoveLabels = ["frontend"] });
        await env.WaitForQuietAsync();

        // Alice's label change is news: the MR is read and decided again (her removal stands).
        Assert.DoesNotContain("frontend", env.GitLab.GetMergeRequest(mr).Labels);
        Assert.Equal(1, Count(env, "GET", $"/merge_requests/{mr.Iid}"));
    }

    [Fact]
    public async Task Item2_an_MR_without_user_notes_gets_its_summary_without_a_read_of_its_notes()
    {
        await using var env = await BotWithGitLab.StartAsync();
        var mr = await OpenAsync(env, "Style the app", CssAndDocs);

        Assert.Single(env.BotNotes(mr));
        Assert.Equal(0, Count(env, "GET", "/notes"));
    }

    [Fact]
    public async Task Item2_an_MR_with_a_comment_and_no_record_has_its_notes_read_once_and_gets_one_summary()
    {
        // Push hooks only: the bot first hears of the MR from the push after alice's comment, with no record of it.
        await using var env = await BotWithGitLab.StartAsync(hookEvents: new HookEvents(Push: true, MergeRequests: false, Notes: false));
        env.GitLab.Push(env.Alice, env.Project, "styles", CssAndDocs);
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles");
        env.GitLab.AddNote(env.Alice, mr, "Looks good so far.");
        await env.WaitForQuietAsync();
        Assert.Empty(env.BotNotes(mr));

        env.GitLab.Push(env.Alice, env.Project, "styles", new Dictionary<string, string?> { ["web/more.css"] = "b {}\n" });
        await env.WaitForQuietAsync();

        Assert.Single(env.BotNotes(mr));
        Assert.Equal(1, Count(env, "GET", "/notes"));
    }

    [Fact]
    public async Task Item5_a_new_branch_lists_no_MRs_from_it_and_its_MR_is_still_evaluated_on_a_later_push()
    {
        await using var env = await BotWithGitLab.StartAsync();
        env.GitLab.Push(env.Alice, env.Project, "styles", new Dictionary<string, string?> { ["web/app.css"] = "a {}\n" });
        await env.WaitForQuietAsync();

        // GitLab closes an MR whose source branch is deleted, so a new branch is nobody's source yet.
        Assert.DoesNotContain(env.GitLab.Actions, a => a.Contains("source_branch=styles", StringComparison.Ordinal));

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles");
        await env.WaitForQuietAsync();
        env.GitLab.Push(env.Alice, env.Project, "styles", new Dictionary<string, string?> { ["docs/x.md"] = "# X\n" });
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "size::XS"], env.GitLab.GetMergeRequest(mr).Labels.Order());
        Assert.Contains(env.GitLab.Actions, a => a.Contains("source_branch=styles", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Item1_a_push_to_the_target_branch_moves_CODEOWNERS_at_once_within_the_time_to_live()
    {
        await using var env = await BotWithGitLab.StartAsync(ReviewerConfig, new Dictionary<string, string?> { ["Cache:TimeToLive"] = "01:00:00" });
        var first = await OpenWithBobOwningTheApiAsync(env);

        env.GitLab.Push(env.Alice, env.Project, "main", new Dictionary<string, string?> { ["CODEOWNERS"] = "/src/api/ @carol\n" });
        await env.WaitForQuietAsync();
        var second = await OpenAsync(env, "Add invoices API", new Dictionary<string, string?> { ["src/api/invoices.cs"] = "class Invoices {}\n" });

        // Each push hook said where main is now: each MR reads CODEOWNERS there, with no branch lookup at all.
        Assert.Equal(["bob"], env.GitLab.GetMergeRequest(first).Reviewers);
        Assert.Equal(["carol"], env.GitLab.GetMergeRequest(second).Reviewers);
        Assert.Equal(0, env.GitLab.Actions.Count(a => a.StartsWith("GET ", StringComparison.Ordinal) && a.Contains("/repository/branches/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Item2_an_MR_just_opened_gets_its_reviewer_and_summary_without_a_read_of_its_notes()
    {
        await using var env = await BotWithGitLab.StartAsync(ReviewerConfig);
        var bob = env.GitLab.AddUser("bob");
        env.GitLab.AddMember(env.Project, bob, AccessLevel.Developer);
        env.GitLab.Push(env.Alice, env.Project, "main", new Dictionary<string, string?> { ["CODEOWNERS"] = "/src/api/ @bob\n" });
        await env.WaitForQuietAsync();
        env.GitLab.ClearRequests();

        var mr = await OpenAsync(env, "Add orders API", ApiChange);

        // The bot stores a decision before it asks anyone: on an MR just opened without one, it has asked nobody.
        Assert.Equal(["bob"], env.GitLab.GetMergeRequest(mr).Reviewers);
        Assert.Single(env.BotNotes(mr));
        Assert.Equal(0, Count(env, "GET", "/notes"));
    }
}
