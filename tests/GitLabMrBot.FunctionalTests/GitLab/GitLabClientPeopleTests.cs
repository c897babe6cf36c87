using System.Text.Json.Nodes;
using GitLabMrBot.GitLab;
using GitLabMrBot.TestGitLab;
using MergeRequestUpdate = GitLabMrBot.GitLab.MergeRequestUpdate;

namespace GitLabMrBot.FunctionalTests.GitLab;

/// <summary>
/// The client's people calls against the test GitLab: reviewer and assignee lists are replaced whole by GitLab
/// (docs/gitlab-behaviour.md §3.2), so every attempt is built from a fresh read; review loads come from <c>x-total</c> (§3.8).
/// </summary>
public sealed class GitLabClientPeopleTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    /// <summary>The bot's way of adding a reviewer: whoever is there now, then the pick.</summary>
    private static Func<GitLabMrBot.GitLab.GitLabMergeRequest, MergeRequestUpdate> Add(long reviewerId) => fresh => new MergeRequestUpdate
    {
        ReviewerIds = fresh.Reviewers.Any(u => u.Id == reviewerId) ? null : [.. fresh.Reviewers.Select(u => u.Id), reviewerId],
    };

    private static List<long> ReviewerIds(RecordedRequest put) =>
        [.. JsonNode.Parse(put.Body)!["reviewer_ids"]!.AsArray().Select(n => n!.GetValue<long>())];

    [Fact]
    public async Task A_people_PUT_that_failed_is_tried_again_after_a_fresh_read_that_keeps_a_human_change()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        var bob = h.Server.AddUser("bob");
        var dave = h.Server.AddUser("dave");
        h.Server.InjectFault("PUT", h.MrPath, Fault.ServerError());
        // The second read of the MR comes after the failed PUT: a human asks dave to review just before it.
        var reads = 0;
        h.Server.InjectFault("GET", h.MrPath, Fault.ConcurrentChange(() =>
        {
            if (Interlocked.Increment(ref reads) == 2)
            {
                h.Server.UpdateMergeRequest(h.Alice, h.MergeRequest, new TestGitLab.MergeRequestUpdate { Reviewers = [dave] });
            }
        }), times: 2);

        var result = await h.Client.UpdateMergeRequestFromFreshReadAsync(h.Mr, Add(bob.Id), Ct);

        Assert.Equal(["dave", "bob"], h.Server.GetMergeRequest(h.MergeRequest).Reviewers);
        Assert.Equal(["dave", "bob"], result.After.Reviewers.Select(u => u.Username));
        Assert.Equal(["dave"], result.Before.Reviewers.Select(u => u.Username));
        var puts = h.RequestsTo("PUT", h.MrPath);
        Assert.Equal([[bob.Id], [dave.Id, bob.Id]], puts.Select(ReviewerIds));
        Assert.Equal(["GET", "PUT", "GET", "PUT"], h.Server.Requests.Where(r => r.Path == h.MrPath).Select(r => r.Method));
    }

    [Fact]
    public async Task A_people_PUT_answered_429_is_not_resent_by_the_pipeline_but_rebuilt_after_the_wait()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        var bob = h.Server.AddUser("bob");
        h.Server.InjectFault("PUT", h.MrPath, Fault.RateLimited(retryAfterSeconds: 1));

        await h.Client.UpdateMergeRequestFromFreshReadAsync(h.Mr, Add(bob.Id), Ct);

        var calls = h.Server.Requests.Where(r => r.Path == h.MrPath).ToList();
        Assert.Equal(["GET", "PUT", "GET", "PUT"], calls.Select(r => r.Method));
        Assert.True(calls[2].ReceivedAt - calls[1].ReceivedAt >= TimeSpan.FromMilliseconds(900), "the read waited for Retry-After");
        Assert.Equal(["bob"], h.Server.GetMergeRequest(h.MergeRequest).Reviewers);
    }

    [Fact]
    public async Task An_update_with_nothing_left_to_do_after_the_read_is_not_sent()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        var bob = h.Server.AddUser("bob");
        h.Server.UpdateMergeRequest(h.Alice, h.MergeRequest, new TestGitLab.MergeRequestUpdate { Reviewers = [bob] });

        var result = await h.Client.UpdateMergeRequestFromFreshReadAsync(h.Mr, Add(bob.Id), Ct);

        Assert.Null(result.Sent);
        Assert.Same(result.Before, result.After);
        Assert.Empty(h.Server.Writes);
    }

    [Fact]
    public async Task Review_count_is_read_from_x_total_with_one_request_for_one_item()
    {
        await using var h = await GitLabClientHarness.StartAsync();
        var bob = h.Server.AddUser("bob");
        h.Server.Push(h.Alice, h.Project, "more", new Dictionary<string, string?> { ["y.txt"] = "y\n" });
        for (var i = 0; i < 3; i++)
        {
            h.Server.OpenMergeRequest(h.Project, h.Alice, $"Review {i}", "more", reviewers: [bob]);
        }

        var count = await h.Client.CountMergeRequestsForReviewerAsync(bob.Id, "opened", Ct);

        Assert.Equal(3, count);
        var request = Assert.Single(h.Server.Requests, r => r.Path == "/merge_requests");
        Assert.Contains("per_page=1", request.Action, StringComparison.Ordinal);
        Assert.Contains("scope=all", request.Action, StringComparison.Ordinal);
    }
}
