using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>
/// Issue 10, items 2, 4 and 11: reviewers and assignees as a real GitLab keeps them. GitLab Free keeps one of each
/// (docs/gitlab-behaviour.md §3.2), <c>reviewer_ids</c>/<c>assignee_ids</c> replace the whole list, and review loads come
/// from the <c>x-total</c> header, which GitLab leaves out past 10,000 records (§3.8).
/// </summary>
public sealed class RealGitLabPeopleTests
{
    private static string Config(int count, string strategy = "round-robin", string assignees = "") => $$"""
        {
          "policies": [
            { "name": "api", "when": { "changedFiles": ["src/api/**"] }, "then": { "addLabels": ["backend"] {{assignees}} } }
          ],
          "reviewers": { "count": {{count}}, "codeOwners": true, "strategy": "{{strategy}}", "skipBusy": true, "skipDrafts": true },
          "summaryComment": true
        }
        """;

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

    private static async Task<GitLabMergeRequest> OpenAndSettleAsync(BotWithGitLab env, IReadOnlyList<GitLabUser>? reviewers = null)
    {
        await env.WaitForQuietAsync();
        env.GitLab.ClearRequests();
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Add orders API", $"topic-{Guid.NewGuid():N}",
            files: new Dictionary<string, string?> { ["src/api/orders.cs"] = "class Orders {}\n" }, reviewers: reviewers);
        await env.WaitForQuietAsync();
        return mr;
    }

    private static bool IsMrPut(RecordedRequest r) =>
        r.Method == "PUT" && r.Path.Contains("/merge_requests/", StringComparison.Ordinal) && !r.Path.Contains("/notes", StringComparison.Ordinal);

    private static string? Param(RecordedRequest r, string name) => r.Parameters.FirstOrDefault(p => p.Key == name).Value;

    /// <summary>The rows of the summary's reviewers table, e.g. <c>@bob</c>.</summary>
    private static List<string> ReviewerRows(string note) =>
        [.. note.Split('\n').Where(l => l.StartsWith("| `@", StringComparison.Ordinal)).Select(l => l[3..l.IndexOf('`', 3)])];

    /// <summary>The assignees listed in the summary, e.g. <c>@bob</c>.</summary>
    private static List<string> AssigneeLines(string note)
    {
        var part = note[(note.IndexOf("**Assignees**", StringComparison.Ordinal) + 1)..];
        return [.. part.Split('\n').Where(l => l.StartsWith("- `@", StringComparison.Ordinal)).Select(l => l[3..l.IndexOf('`', 3)])];
    }

    [Fact]
    public async Task Item2_free_keeps_one_reviewer_and_the_summary_names_only_the_one_GitLab_kept()
    {
        await using var env = await BotWithGitLab.StartAsync(Config(count: 2));
        env.GitLab.MultipleReviewersAndAssignees = false;
        Seed(env, "/src/api/ @bob @carol\n");

        var mr = await OpenAndSettleAsync(env);

        var kept = Assert.Single(env.GitLab.GetMergeRequest(mr).Reviewers);
        var note = Assert.Single(env.BotNotes(mr));
        Assert.Equal([$"@{kept}"], ReviewerRows(note));

        // The stored decision holds what GitLab kept: a redelivered event finds nothing to write.
        env.GitLab.ClearRequests();
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Description = "More words." });
        await env.WaitForQuietAsync();
        Assert.Empty(env.Writes);
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item2_free_never_displaces_a_human_reviewer_and_then_asks_for_one()
    {
        await using var env = await BotWithGitLab.StartAsync(Config(count: 2));
        env.GitLab.MultipleReviewersAndAssignees = false;
        var people = Seed(env, "/src/api/ @bob @carol\n");

        // A human chose dave: he stays, and nobody the bot picked is named as requested.
        var first = await OpenAndSettleAsync(env, reviewers: [people.Dave]);
        Assert.Equal(["dave"], env.GitLab.GetMergeRequest(first).Reviewers);
        Assert.Empty(ReviewerRows(Assert.Single(env.BotNotes(first))));

        // The bot has learnt that this GitLab keeps one reviewer: the next MR is asked for exactly one.
        var second = await OpenAndSettleAsync(env);
        var put = Assert.Single(env.GitLab.Writes, IsMrPut);
        var sent = Param(put, "reviewer_ids");
        Assert.NotNull(sent);
        Assert.DoesNotContain(",", sent, StringComparison.Ordinal);
        var kept = Assert.Single(env.GitLab.GetMergeRequest(second).Reviewers);
        Assert.Equal([$"@{kept}"], ReviewerRows(Assert.Single(env.BotNotes(second))));
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item2_free_keeps_one_assignee_and_the_summary_names_only_that_one()
    {
        await using var env = await BotWithGitLab.StartAsync(Config(count: 1, assignees: ", \"assignees\": { \"users\": [\"bob\", \"carol\"] }"));
        env.GitLab.MultipleReviewersAndAssignees = false;
        Seed(env, "/src/api/ @dave\n");

        var mr = await OpenAndSettleAsync(env);

        Assert.Equal(["bob"], env.GitLab.GetMergeRequest(mr).Assignees);
        Assert.Equal(["@bob"], AssigneeLines(Assert.Single(env.BotNotes(mr))));
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item4_a_reviewer_a_human_adds_while_the_bot_looks_people_up_stays()
    {
        await using var env = await BotWithGitLab.StartAsync(Config(count: 2));
        var people = Seed(env, "/src/api/ @bob\n");
        await env.WaitForQuietAsync();
        var opened = new TaskCompletionSource<GitLabMergeRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        // While the bot reads bob's status (after its read of the MR, before its PUT), a human asks dave to review.
        var human = env.GitLab.InjectFault("GET", "/users/:id/status", Fault.ConcurrentChange(() =>
            env.GitLab.UpdateMergeRequest(env.Alice, opened.Task.Result, new MergeRequestUpdate { Reviewers = [people.Dave] })));

        opened.SetResult(env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Add orders API", "topic",
            files: new Dictionary<string, string?> { ["src/api/orders.cs"] = "class Orders {}\n" }));
        await env.WaitForQuietAsync();

        var mr = await opened.Task;
        Assert.Equal(0, human.Remaining);
        Assert.Contains(env.GitLab.GetNotes(mr), n => n.System && n.Author == "alice" && n.Body == "requested review from @dave");
        Assert.Equal(["bob", "dave"], env.GitLab.GetMergeRequest(mr).Reviewers.Order());
        Assert.DoesNotContain(env.GitLab.GetNotes(mr), n => n.System && n.Body.Contains("removed review request", StringComparison.Ordinal));
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item4_a_retry_after_a_rate_limit_is_built_from_a_fresh_read_and_keeps_the_human_reviewer()
    {
        await using var env = await BotWithGitLab.StartAsync(Config(count: 2));
        var people = Seed(env, "/src/api/ @bob\n");
        await env.WaitForQuietAsync();
        var limited = env.GitLab.InjectFault("PUT", "/projects/:id/merge_requests/:merge_request_iid", Fault.RateLimited(retryAfterSeconds: 3));

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Add orders API", "topic",
            files: new Dictionary<string, string?> { ["src/api/orders.cs"] = "class Orders {}\n" });
        // The bot's PUT is refused with Retry-After: 3. Before it tries again, a human asks dave to review.
        await Eventually.HoldsAsync(() => limited.Remaining == 0, "the bot's PUT to be rate limited");
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Reviewers = [people.Dave] });
        await env.WaitForQuietAsync();

        Assert.Equal(["bob", "dave"], env.GitLab.GetMergeRequest(mr).Reviewers.Order());
        Assert.DoesNotContain(env.GitLab.GetNotes(mr), n => n.System && n.Body.Contains("removed review request", StringComparison.Ordinal));
    }

    /// <summary>Opens <paramref name="count"/> merge requests reviewed by <paramref name="reviewer"/> in a project no hook watches.</summary>
    private static void GiveOpenReviews(BotWithGitLab env, GitLabUser reviewer, int count)
    {
        var other = env.GitLab.AddProject($"elsewhere/p{Guid.NewGuid():N}");
        var author = env.GitLab.AddUser($"author{Guid.NewGuid():N}"[..20]);
        env.GitLab.AddMember(other, author, AccessLevel.Developer);
        env.GitLab.Push(author, other, "work", new Dictionary<string, string?> { ["x.txt"] = "x\n" });
        for (var i = 0; i < count; i++)
        {
            env.GitLab.OpenMergeRequest(other, author, $"Other {i}", "work", reviewers: [reviewer]);
        }
    }

    private static List<RecordedRequest> LoadRequests(BotWithGitLab env) =>
        [.. env.GitLab.Requests.Where(r => r.Method == "GET" && r.Path == "/merge_requests")];

    [Fact]
    public async Task Item11_review_load_is_one_request_per_candidate_read_from_x_total()
    {
        await using var env = await BotWithGitLab.StartAsync(Config(count: 1, strategy: "least-loaded"));
        var people = Seed(env, "/src/api/ @bob @carol\n");
        GiveOpenReviews(env, people.Bob, 3);
        GiveOpenReviews(env, people.Carol, 1);

        var mr = await OpenAndSettleAsync(env);

        Assert.Equal(["carol"], env.GitLab.GetMergeRequest(mr).Reviewers);
        var loads = LoadRequests(env);
        Assert.Equal(2, loads.Count);
        Assert.All(loads, r => Assert.Equal("1", Param(r, "per_page")));
        Assert.All(loads, r => Assert.Equal("all", Param(r, "scope")));
    }

    [Fact]
    public async Task Item11_past_10000_open_reviews_the_load_counts_as_10000_plus_from_one_request()
    {
        await using var env = await BotWithGitLab.StartAsync(Config(count: 1, strategy: "least-loaded"));
        var people = Seed(env, "/src/api/ @bob @carol\n");
        GiveOpenReviews(env, people.Bob, 10_001);
        GiveOpenReviews(env, people.Carol, 2);

        var mr = await OpenAndSettleAsync(env);

        Assert.Equal(["carol"], env.GitLab.GetMergeRequest(mr).Reviewers);
        Assert.Single(LoadRequests(env), r => Param(r, "reviewer_id") == people.Bob.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(env.Problems());
    }
}
