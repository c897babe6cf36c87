using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.Inbox;
using GitLabMrBot.Processing;
using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>
/// Issue 11, item 5: a push to a target branch changes only the mergeability of the MRs into it (GitLab marks them
/// unchecked and sends no merge request hook for them, docs/gitlab-behaviour.md §3.2): each is re-checked by reading
/// the MR alone until GitLab has an answer, and only then evaluated in full, with the project read once.
/// </summary>
public sealed class PushFanOutTests
{
    private const string Config = """
        {
          "policies": [
            { "name": "frontend", "when": { "changedFiles": ["web/**", "**/*.css"] }, "then": { "addLabels": ["frontend"] } }
          ],
          "needsRebase": { "label": "needs-rebase" },
          "summaryComment": true
        }
        """;

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Rechecks:FirstDelay"] = "00:00:00.200",
        ["Rechecks:MaxDelay"] = "00:00:00.400",
        ["Rechecks:MaxAttempts"] = "60",
    };

    private static bool IsMergeRequestRead(RecordedRequest r, GitLabMergeRequest mr) =>
        r.Method == "GET" && r.Path.EndsWith($"/projects/{mr.ProjectId}/merge_requests/{mr.Iid}", StringComparison.Ordinal);

    [Fact]
    public async Task Item5_a_push_to_the_target_rechecks_each_mr_by_reading_only_the_mr_while_gitlab_computes()
    {
        await using var env = await BotWithGitLab.StartAsync(Config, Settings);
        var mrs = Enumerable.Range(1, 3)
            .Select(i => env.GitLab.OpenMergeRequest(env.Project, env.Alice, $"Style {i}", $"styles-{i}",
                files: new Dictionary<string, string?> { [$"web/app{i}.css"] = "body { color: red; }\n" }))
            .ToList();
        await env.WaitForQuietAsync();

        // GitLab marks every MR into the pushed branch unchecked and works the answer out later.
        foreach (var mr in mrs)
        {
            env.GitLab.SetMergeStatus(mr, "checking");
        }
        env.GitLab.ClearRequests();
        env.GitLab.Push(env.Alice, env.Project, "main", new Dictionary<string, string?> { ["README.md"] = "# app, moved on\n" });

        // At least three looks at each MR while GitLab is still computing.
        await Eventually.HoldsAsync(
            () => mrs.All(mr => env.GitLab.Requests.Count(r => IsMergeRequestRead(r, mr)) >= 3),
            "every MR to be re-checked three times", TimeSpan.FromSeconds(60));
        var whileChecking = env.GitLab.Requests.ToList();

        var other = whileChecking
            .Where(r => !mrs.Any(mr => IsMergeRequestRead(r, mr)) && !r.Path.EndsWith("/merge_requests", StringComparison.Ordinal))
            .Select(r => r.Action)
            .ToList();
        Assert.Empty(other);
        Assert.DoesNotContain(whileChecking, r => r.IsWrite);

        // GitLab settles: one MR conflicts now, the others can merge.
        env.GitLab.SetMergeStatus(mrs[0], null, hasConflicts: true);
        env.GitLab.SetMergeStatus(mrs[1], "mergeable");
        env.GitLab.SetMergeStatus(mrs[2], "mergeable");
        await Eventually.HoldsAsync(() => env.GitLab.GetMergeRequest(mrs[0]).Labels.Contains("needs-rebase"), "needs-rebase on the conflicting MR", TimeSpan.FromSeconds(60));
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "needs-rebase"], env.GitLab.GetMergeRequest(mrs[0]).Labels.Order());
        Assert.Equal(["frontend"], env.GitLab.GetMergeRequest(mrs[1]).Labels);
        Assert.Equal(["frontend"], env.GitLab.GetMergeRequest(mrs[2]).Labels);
        // The project (its merge method) is read at most once for the whole fan-out.
        Assert.True(env.GitLab.Requests.Count(r => r.Method == "GET" && r.Path == $"/projects/{env.Project.Id}") <= 1,
            string.Join("\n", env.GitLab.Actions));
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item5_a_push_to_a_target_with_more_mrs_than_a_batch_rechecks_the_last_one_a_batch_later()
    {
        // The second re-checks far enough off that none runs during the test.
        await using var env = await BotWithGitLab.StartAsync(Config, new Dictionary<string, string?>
        {
            ["Rechecks:FirstDelay"] = "00:01:00",
            ["Rechecks:MaxDelay"] = "00:02:00",
        });
        var mrs = Enumerable.Range(1, PushEventHandler.BatchSize + 1)
            .Select(i => env.GitLab.OpenMergeRequest(env.Project, env.Alice, $"Change {i}", $"change-{i}",
                files: new Dictionary<string, string?> { [$"src/file{i}.txt"] = "one\n" }))
            .ToList();
        await env.WaitForQuietAsync();
        foreach (var mr in mrs)
        {
            env.GitLab.SetMergeStatus(mr, "checking");
        }

        env.GitLab.ClearRequests();
        var pushedAt = DateTimeOffset.UtcNow;
        env.GitLab.Push(env.Alice, env.Project, "main", new Dictionary<string, string?> { ["README.md"] = "# app, moved on\n" });
        await Eventually.HoldsAsync(
            () => mrs.All(mr => env.GitLab.Requests.Any(r => IsMergeRequestRead(r, mr))),
            "every MR into main to be re-checked", TimeSpan.FromSeconds(60));

        // One batch is re-checked at once; the MR past it not before a batch spacing has passed.
        var firstReads = mrs.Select(mr => env.GitLab.Requests.First(r => IsMergeRequestRead(r, mr)).ReceivedAt).Order().ToList();
        Assert.True(firstReads[^1] - pushedAt >= PushEventHandler.BatchSpacing, $"pushed {pushedAt:O}, last MR first read {firstReads[^1]:O}");
        Assert.True(firstReads[^2] < firstReads[^1], $"the first batch ended {firstReads[^2]:O}");
        // Each re-check read only its MR: GitLab was still computing.
        Assert.All(env.GitLab.Requests, r => Assert.True(
            r.Path.EndsWith("/merge_requests", StringComparison.Ordinal) || mrs.Any(mr => IsMergeRequestRead(r, mr)), r.Action));
        Assert.Empty(env.Problems());
    }
}
