using System.Net;
using System.Text;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.TestGitLab;
using GitLabMrBot.TestGitLab.Webhooks;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>Issue 4's end-to-end behaviour: reviewers and assignees through real webhooks and the real REST API.</summary>
public sealed class ReviewerTests
{
    private static string Config(string strategy = "round-robin", int count = 1, string assignees = "") => $$"""
        {
          "policies": [
            { "name": "api", "when": { "changedFiles": ["src/api/**"] }, "then": { "addLabels": ["backend"] {{assignees}} } }
          ],
          "reviewers": { "count": {{count}}, "codeOwners": true, "strategy": "{{strategy}}", "skipBusy": true, "skipDrafts": true, "exclude": ["release-bot"] },
          "summaryComment": true
        }
        """;

    private static readonly Dictionary<string, string?> ApiChange = new() { ["src/api/orders.cs"] = "class Orders {}\n" };

    private sealed record People(GitLabUser Bob, GitLabUser Carol, GitLabUser Dave);

    /// <summary>bob, carol and dave are developers of the project; CODEOWNERS on main is <paramref name="codeOwners"/>.</summary>
    private static People Seed(BotWithGitLab env, string codeOwners)
    {
        var people = new People(env.GitLab.AddUser("bob"), env.GitLab.AddUser("carol"), env.GitLab.AddUser("dave"));
        foreach (var user in new[] { people.Bob, people.Carol, people.Dave })
        {
            env.GitLab.AddMember(env.Project, user, AccessLevel.Developer);
        }
        env.GitLab.Push(env.Alice, env.Project, "main", new Dictionary<string, string?> { ["CODEOWNERS"] = codeOwners });
        return people;
    }

    private static async Task<GitLabMergeRequest> OpenAndSettleAsync(BotWithGitLab env, string title = "Add orders API", IReadOnlyDictionary<string, string?>? files = null, IReadOnlyList<GitLabUser>? reviewers = null)
    {
        await env.WaitForQuietAsync();
        env.GitLab.ClearRequests();
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, title, $"topic-{Guid.NewGuid():N}", files: files ?? ApiChange, reviewers: reviewers);
        await env.WaitForQuietAsync();
        return mr;
    }

    private static bool IsMrPut(string action) =>
        action.StartsWith("PUT /projects/", StringComparison.Ordinal) && action.Contains("/merge_requests/", StringComparison.Ordinal) && !action.Contains("/notes", StringComparison.Ordinal);

    private static bool IsNoteWrite(string action) => action.Contains("/notes", StringComparison.Ordinal);

    [Fact]
    public async Task Owners_of_the_changed_files_are_requested_from_the_target_branchs_CODEOWNERS_with_the_labels_in_one_PUT()
    {
        await using var env = await BotWithGitLab.StartAsync(Config());
        var people = Seed(env, "[Backend]\n/src/api/ @bob\n\n[Docs]\n*.md @carol\n");

        // The MR rewrites CODEOWNERS on its own branch: the target branch's file still decides.
        var mr = await OpenAndSettleAsync(env, files: new Dictionary<string, string?>
        {
            ["src/api/orders.cs"] = "class Orders {}\n",
            ["CODEOWNERS"] = "/src/api/ @dave\n",
        });

        var view = env.GitLab.GetMergeRequest(mr);
        Assert.Equal(["bob"], view.Reviewers);
        Assert.Equal(["backend"], view.Labels);
        var put = Assert.Single(env.Writes, IsMrPut);
        Assert.Contains($"reviewer_ids={people.Bob.Id}", put);
        Assert.Contains("add_labels=backend", put);
        Assert.Single(env.Writes, IsNoteWrite);
        Assert.Equal(2, env.Writes.Count);
        var note = Assert.Single(env.BotNotes(mr));
        Assert.Contains("`@bob`", note);
        Assert.Contains("CODEOWNERS \\[Backend\\] /src/api/", note);
        Assert.DoesNotContain("dave", note);
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task A_busy_owner_is_skipped_in_favour_of_the_next()
    {
        await using var env = await BotWithGitLab.StartAsync(Config());
        var people = Seed(env, "/src/api/ @bob @carol\n");
        // Round-robin from a fresh counter starts at bob (sorted first): he is busy.
        env.GitLab.SetUserStatus(people.Bob, "busy");

        var mr = await OpenAndSettleAsync(env);

        Assert.Equal(["carol"], env.GitLab.GetMergeRequest(mr).Reviewers);
        Assert.Equal(2, env.Writes.Count);
        var note = Assert.Single(env.BotNotes(mr));
        Assert.Contains("`@bob`: status is busy", note);
    }

    [Fact]
    public async Task The_author_is_never_requested()
    {
        await using var env = await BotWithGitLab.StartAsync(Config(count: 2));
        Seed(env, "/src/api/ @alice @bob\n");

        var mr = await OpenAndSettleAsync(env);

        Assert.Equal(["bob"], env.GitLab.GetMergeRequest(mr).Reviewers);
        Assert.Contains("`@alice`: the author", Assert.Single(env.BotNotes(mr)));
    }

    [Fact]
    public async Task Reviewers_a_human_chose_stay_and_a_reviewer_a_human_removed_is_not_replaced()
    {
        await using var env = await BotWithGitLab.StartAsync(Config(count: 2));
        var people = Seed(env, "/src/api/ @bob\n/web/ @carol\n");

        var mr = await OpenAndSettleAsync(env, reviewers: [people.Dave]);

        Assert.Equal(["bob", "dave"], env.GitLab.GetMergeRequest(mr).Reviewers.Order());
        var put = Assert.Single(env.Writes, IsMrPut);
        Assert.Contains($"reviewer_ids={people.Dave.Id},{people.Bob.Id}", put);

        // A human takes bob off, and a push adds files carol owns: the bot does not fill the slot again.
        env.GitLab.ClearRequests();
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Reviewers = [people.Dave] });
        env.GitLab.Push(env.Alice, env.Project, env.GitLab.GetMergeRequest(mr).SourceBranch, new Dictionary<string, string?> { ["web/app.css"] = "a {}\n" });
        await env.WaitForQuietAsync();
        Assert.Equal(["dave"], env.GitLab.GetMergeRequest(mr).Reviewers);
        Assert.Empty(env.Writes);
    }

    [Fact]
    public async Task A_draft_gets_no_reviewers_until_it_is_marked_ready()
    {
        await using var env = await BotWithGitLab.StartAsync(Config());
        var people = Seed(env, "/src/api/ @bob\n");

        var mr = await OpenAndSettleAsync(env, title: "Draft: Add orders API");
        Assert.Empty(env.GitLab.GetMergeRequest(mr).Reviewers);
        Assert.Contains("marked ready", Assert.Single(env.BotNotes(mr)));
        Assert.DoesNotContain(env.GitLab.Requests, r => r.Path.Contains("/status", StringComparison.Ordinal));

        env.GitLab.ClearRequests();
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Draft = false });
        await env.WaitForQuietAsync();

        Assert.Equal(["bob"], env.GitLab.GetMergeRequest(mr).Reviewers);
        var writes = env.Writes;
        Assert.Equal(2, writes.Count);
        Assert.Contains(writes, w => IsMrPut(w) && w.EndsWith($"reviewer_ids={people.Bob.Id}", StringComparison.Ordinal));
        Assert.Contains(writes, w => w.StartsWith("PUT", StringComparison.Ordinal) && IsNoteWrite(w));
    }

    [Fact]
    public async Task Redelivering_the_event_changes_nothing()
    {
        await using var env = await BotWithGitLab.StartAsync(Config());
        Seed(env, "/src/api/ @bob @carol\n");
        var mr = await OpenAndSettleAsync(env);
        var before = env.GitLab.GetMergeRequest(mr).Reviewers;
        var open = env.GitLab.Deliveries.Last(d => d.Event == "Merge Request Hook" && d.Body.Contains("\"open\"", StringComparison.Ordinal));
        env.GitLab.ClearRequests();

        using (var again = await env.Bot.Client.SendAsync(Resend(open, Guid.NewGuid().ToString())))
        {
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        }
        await env.WaitForQuietAsync();

        Assert.Empty(env.Writes);
        Assert.Equal(before, env.GitLab.GetMergeRequest(mr).Reviewers);
        // Settled means settled: no status or load lookups either.
        Assert.DoesNotContain(env.GitLab.Requests, r => r.Path.Contains("/status", StringComparison.Ordinal) || r.Path == "/merge_requests");
    }

    [Fact]
    public async Task Least_loaded_picks_the_less_loaded_of_two_owners()
    {
        await using var env = await BotWithGitLab.StartAsync(Config(strategy: "least-loaded"));
        var people = Seed(env, "/src/api/ @bob @carol\n");
        // bob (first by name) already reviews two open MRs elsewhere.
        var other = env.GitLab.AddProject("acme/other");
        env.GitLab.AddMember(other, people.Dave, AccessLevel.Developer);
        for (var i = 0; i < 2; i++)
        {
            env.GitLab.OpenMergeRequest(other, people.Dave, $"Other {i}", $"other-{i}", files: new Dictionary<string, string?> { [$"x{i}.txt"] = "x\n" }, reviewers: [people.Bob]);
        }

        var mr = await OpenAndSettleAsync(env);

        Assert.Equal(["carol"], env.GitLab.GetMergeRequest(mr).Reviewers);
        Assert.Contains(env.GitLab.Requests, r => r.Path == "/merge_requests" && r.Query.Contains("scope=all", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_group_owner_expands_to_its_direct_members()
    {
        await using var env = await BotWithGitLab.StartAsync(Config(count: 3));
        Seed(env, "/src/api/ @acme/backend\n");
        var backend = env.GitLab.AddGroup("acme/backend");
        var core = env.GitLab.AddGroup("acme/backend/core");
        var erin = env.GitLab.AddUser("erin");
        var frank = env.GitLab.AddUser("frank");
        env.GitLab.AddMember(backend, erin, AccessLevel.Developer);
        env.GitLab.AddMember(core, frank, AccessLevel.Developer);

        var mr = await OpenAndSettleAsync(env);

        // frank is in a subgroup only: @acme/backend means its direct members.
        Assert.Equal(["erin"], env.GitLab.GetMergeRequest(mr).Reviewers);
        Assert.Contains("via @acme/backend", Assert.Single(env.BotNotes(mr)).Replace("\\", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_role_owner_means_direct_project_members_with_exactly_that_role_and_an_email_its_user()
    {
        await using var env = await BotWithGitLab.StartAsync(Config(count: 4));
        var people = Seed(env, "/src/api/ @@maintainers carol@example.com\n");
        env.GitLab.AddMember(env.Project, people.Dave, AccessLevel.Maintainer);
        var erin = env.GitLab.AddUser("erin");
        env.GitLab.AddMember(env.GitLab.AddGroup("acme"), erin, AccessLevel.Maintainer);

        var mr = await OpenAndSettleAsync(env);

        // erin is a maintainer through the group only; bob is a developer.
        Assert.Equal(["carol", "dave"], env.GitLab.GetMergeRequest(mr).Reviewers.Order());
    }

    [Fact]
    public async Task Assignees_author_assigns_the_author_in_the_same_PUT_and_only_once()
    {
        await using var env = await BotWithGitLab.StartAsync(Config(assignees: ", \"assignees\": \"author\""));
        var people = Seed(env, "/src/api/ @bob\n");

        var mr = await OpenAndSettleAsync(env);

        var view = env.GitLab.GetMergeRequest(mr);
        Assert.Equal(["alice"], view.Assignees);
        Assert.Equal(["bob"], view.Reviewers);
        var put = Assert.Single(env.Writes, IsMrPut);
        Assert.Contains($"assignee_ids={env.Alice.Id}", put);
        Assert.Contains($"reviewer_ids={people.Bob.Id}", put);
        Assert.Equal(2, env.Writes.Count);

        // Unassigning is a human decision the bot respects.
        env.GitLab.ClearRequests();
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Assignees = [] });
        await env.WaitForQuietAsync();
        Assert.Empty(env.GitLab.GetMergeRequest(mr).Assignees);
        Assert.Empty(env.Writes);
    }

    [Fact]
    public async Task A_PUT_whose_answer_is_lost_is_finished_by_the_retry_without_a_second_pick()
    {
        await using var env = await BotWithGitLab.StartAsync(Config(strategy: "random"));
        Seed(env, "/src/api/ @bob @carol @dave\n");
        await env.WaitForQuietAsync();
        // Every in-process attempt of the first evaluation is applied by GitLab but answered with a 500.
        env.GitLab.InjectFault("PUT", "/projects/:id/merge_requests/:merge_request_iid", Fault.ServerError(afterApplying: true), times: 5);

        var mr = await OpenAndSettleAsync(env);

        var reviewers = env.GitLab.GetMergeRequest(mr).Reviewers;
        Assert.Single(reviewers);
        Assert.Single(env.GitLab.GetNotes(mr), n => n.System && n.Body.StartsWith("requested review from", StringComparison.Ordinal));
        // The retry found its decision in the store and GitLab already carrying it: no sixth PUT.
        Assert.Equal(5, env.Writes.Count(IsMrPut));
        Assert.Contains($"`@{reviewers[0]}`", Assert.Single(env.BotNotes(mr)));
    }

    private static HttpRequestMessage Resend(WebhookDelivery delivery, string idempotencyKey)
    {
        var request = BotHost.WebhookRequest(delivery.Event, Encoding.UTF8.GetBytes(delivery.Body), idempotencyKey: idempotencyKey);
        request.Headers.Add("X-Gitlab-Event-UUID", delivery.EventUuid);
        return request;
    }
}
