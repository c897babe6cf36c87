using System.Net;

namespace GitLabMrBot.TestGitLab.Tests;

/// <summary><c>GET /projects/:id/repository/branches/:branch</c>: the branch's head commit, which moves with every push.</summary>
public sealed class BranchApiTests : GitLabTestBase
{
    [Fact]
    public async Task A_branch_answers_its_head_commit_which_follows_pushes_and_an_unknown_branch_is_404()
    {
        var first = Server.Push(Alice, Project, "release/1.0", new Dictionary<string, string?> { ["a.txt"] = "a\n" });
        var before = await Json(await Api.GetAsync($"projects/{Project.Id}/repository/branches/release%2F1.0"));
        var second = Server.Push(Alice, Project, "release/1.0", new Dictionary<string, string?> { ["a.txt"] = "b\n" });
        var after = await Json(await Api.GetAsync($"projects/{Project.Id}/repository/branches/release%2F1.0"));
        using var missing = await Api.GetAsync($"projects/{Project.Id}/repository/branches/nope");

        Assert.Equal("release/1.0", (string)before["name"]!);
        Assert.Equal(first, (string)before["commit"]!["id"]!);
        Assert.Equal(second, (string)after["commit"]!["id"]!);
        Assert.False((bool)after["default"]!);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("404 Branch Not Found", await missing.Content.ReadAsStringAsync());
    }
}
