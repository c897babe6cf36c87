using System.Net;

namespace GitLabMrBot.TestGitLab.Tests;

/// <summary>The people lookups reviewer selection uses: direct members, group members by path, email search, blocked users.</summary>
public sealed class PeopleApiTests : GitLabTestBase
{
    [Fact]
    public async Task Project_members_lists_only_direct_members()
    {
        var direct = (await Json(await Api.GetAsync($"projects/{Project.Id}/members"))).AsArray();

        // alice and bob are members through the group only.
        Assert.Equal(["carol:30", "mrbot:30"], direct.Select(m => $"{m!["username"]}:{m["access_level"]}"));
    }

    [Fact]
    public async Task Group_members_are_found_by_url_encoded_full_path_and_are_direct_only()
    {
        var sub = Server.AddGroup("acme/backend");
        var dave = Server.AddUser("dave");
        Server.AddMember(sub, dave, AccessLevel.Developer);

        var members = (await Json(await Api.GetAsync("groups/acme%2Fbackend/members"))).AsArray();
        var missing = await Api.GetAsync("groups/acme%2Fnope/members");

        Assert.Equal(["dave"], members.Select(m => (string)m!["username"]!));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task User_search_matches_an_email_exactly_and_names_by_substring()
    {
        var byEmail = (await Json(await Api.GetAsync("users?search=bob%40example.com"))).AsArray();
        var partialEmail = (await Json(await Api.GetAsync("users?search=example.com"))).AsArray();
        var byName = (await Json(await Api.GetAsync("users?search=Liddell"))).AsArray();

        Assert.Equal(["bob"], byEmail.Select(u => (string)u!["username"]!));
        Assert.Empty(partialEmail);
        Assert.Equal(["alice"], byName.Select(u => (string)u!["username"]!));
    }

    [Fact]
    public async Task Blocked_users_show_their_state_in_member_lists_and_user_lookups()
    {
        Server.BlockUser(Carol);

        var direct = (await Json(await Api.GetAsync($"projects/{Project.Id}/members"))).AsArray();
        var found = (await Json(await Api.GetAsync("users?username=carol"))).AsArray();

        Assert.Equal("blocked", (string)direct.Single(m => (string)m!["username"]! == "carol")!["state"]!);
        Assert.Equal("blocked", (string)found.Single()!["state"]!);
    }
}
