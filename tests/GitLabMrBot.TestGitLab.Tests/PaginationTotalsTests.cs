
namespace GitLabMrBot.TestGitLab.Tests;

/// <summary>
/// GitLab's pagination headers (docs/gitlab-behaviour.md §3.8): totals up to 10,000 records, none past that
/// (<c>Gitlab::Pagination::OffsetPagination</c> switches to Kaminari's <c>without_count</c>).
/// </summary>
public sealed class PaginationTotalsTests : GitLabTestBase
{
    [Fact]
    public async Task Totals_and_the_last_link_are_sent_up_to_10000_records_and_left_out_past_them()
    {
        // A project outside the hooked group: ten thousand merge requests without ten thousand deliveries.
        var big = Server.AddProject("other/big");
        Server.AddMember(big, Bob, AccessLevel.Developer);
        Server.Push(Bob, big, "many", new Dictionary<string, string?> { ["x.txt"] = "x\n" });
        for (var i = 0; i < 10_000; i++)
        {
            Server.OpenMergeRequest(big, Bob, $"MR {i}", "many", reviewers: [Carol]);
        }
        Server.OpenMergeRequest(big, Bob, "one more", "many", reviewers: [Alice]);

        var exactly = await Api.GetAsync($"merge_requests?scope=all&reviewer_id={Carol.Id}&per_page=1");
        var past = await Api.GetAsync("merge_requests?scope=all&state=opened&per_page=1");

        Assert.Equal("10000", Header(exactly, "x-total"));
        Assert.Equal("10000", Header(exactly, "x-total-pages"));
        Assert.Contains("rel=\"last\"", Header(exactly, "Link"), StringComparison.Ordinal);
        Assert.Null(Header(past, "x-total"));
        Assert.Null(Header(past, "x-total-pages"));
        Assert.DoesNotContain("rel=\"last\"", Header(past, "Link"), StringComparison.Ordinal);
        // Paging still works: the next page is known without the count.
        Assert.Equal("2", Header(past, "x-next-page"));
        Assert.Single((await Json(past)).AsArray());
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;
}
