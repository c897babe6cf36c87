using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>Issue 10 item 10: GitLab versions that answer 500 to /diffs above 30 per page (docs/gitlab-behaviour.md §3.2).</summary>
public sealed class DiffsPageSizeTests
{
    [Fact]
    public async Task Item10_a_500_on_diffs_falls_back_to_30_per_page_and_the_evaluation_succeeds()
    {
        await using var env = await BotWithGitLab.StartAsync();
        env.GitLab.DiffsPerPageLimit = 30;
        // 40 files: two pages of 30, so the fallback must page as well.
        var files = Enumerable.Range(1, 40).ToDictionary(i => $"web/f{i:D2}.css", i => (string?)$"a{i} {{}}\n");

        var first = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: files);
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "size::S"], env.GitLab.GetMergeRequest(first).Labels.Order());
        Assert.Contains("40 lines changed", Assert.Single(env.BotNotes(first)));
        var diffReads = env.GitLab.Requests.Where(r => r.Method == "GET" && r.Path.EndsWith("/diffs", StringComparison.Ordinal)).ToList();
        var failed = diffReads.Where(r => r.Status == 500).ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, r => Assert.Equal("100", PerPage(r)));
        Assert.Contains(diffReads, r => r.Status == 200 && PerPage(r) == "30" && r.Parameters.Any(p => p.Key == "page" && p.Value == "2"));

        // The bot keeps the page size that works: the next MR is read at 30 per page straight away.
        env.GitLab.ClearRequests();
        var second = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "More styles", "more-styles", files: new Dictionary<string, string?> { ["web/x.css"] = "x {}\n" });
        await env.WaitForQuietAsync();

        Assert.Contains("frontend", env.GitLab.GetMergeRequest(second).Labels);
        Assert.All(env.GitLab.Requests.Where(r => r.Path.EndsWith("/diffs", StringComparison.Ordinal)), r => Assert.Equal((200, "30"), (r.Status, PerPage(r))));
    }

    private static string? PerPage(RecordedRequest request) => request.Parameters.LastOrDefault(p => p.Key == "per_page").Value;
}
