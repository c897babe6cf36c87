using System.Net;

namespace GitLabMrBot.TestGitLab.Tests;

/// <summary><c>GET /projects/:id/members/all/:user_id</c>: one member, inherited ones included, or 404.</summary>
public sealed class MemberLookupTests : GitLabTestBase
{
    [Fact]
    public async Task One_member_is_found_at_the_highest_level_of_any_membership()
    {
        // Bob is a Maintainer through the group and a Developer of the project himself: GitLab orders by access level.
        Server.AddMember(Project, Bob, AccessLevel.Developer);

        var bob = await Json(await Api.GetAsync($"projects/{Project.Id}/members/all/{Bob.Id}"));
        var outsider = Server.AddUser("outsider");
        var notMember = await Api.GetAsync($"projects/{Project.Id}/members/all/{outsider.Id}");

        Assert.Equal(40, (int)bob["access_level"]!);
        Assert.Equal("bob", (string)bob["username"]!);
        Assert.Equal(HttpStatusCode.NotFound, notMember.StatusCode);
        Assert.Equal("""{"message":"404 Not found"}""", await notMember.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Members_all_by_user_id_wants_a_numeric_id()
    {
        var response = await Api.GetAsync($"projects/{Project.Id}/members/all/alice");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("""{"error":"user_id is invalid"}""", await response.Content.ReadAsStringAsync());
    }
}
