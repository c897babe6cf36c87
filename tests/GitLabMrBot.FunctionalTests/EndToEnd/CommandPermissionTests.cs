using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>Issue 10, item 11 (first half): the command permission check asks GitLab about the note's author alone.</summary>
public sealed class CommandPermissionTests
{
    private const string Config = """{ "needsRebase": { "label": "needs-rebase" } }""";

    [Fact]
    public async Task Item11_a_command_asks_for_its_author_as_one_member_not_for_every_page_of_members()
    {
        await using var env = await BotWithGitLab.StartAsync(Config);
        // A group big enough that listing its members takes more than one page.
        for (var i = 0; i < 120; i++)
        {
            env.GitLab.AddMember(env.Group, env.GitLab.AddUser($"member{i}"), AccessLevel.Reporter);
        }
        var outsider = env.GitLab.AddUser("outsider");
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style", "styles",
            files: new Dictionary<string, string?> { ["web/app.css"] = "body {}\n" });
        await env.WaitForQuietAsync();
        var mrRead = $"GET /projects/{env.Project.Id}/merge_requests/{mr.Iid} include_diverged_commits_count=true";

        // Someone who is no member at all: GitLab answers 404 for them, and the command is ignored without a fuss.
        env.GitLab.ClearRequests();
        env.GitLab.AddNote(outsider, mr, "@mrbot recheck");
        await env.WaitForQuietAsync();
        Assert.Contains($"GET /projects/{env.Project.Id}/members/all/{outsider.Id}", env.GitLab.Actions);
        Assert.DoesNotContain(mrRead, env.GitLab.Actions);

        env.GitLab.AddNote(env.Alice, mr, "@mrbot recheck");
        await env.WaitForQuietAsync();

        Assert.Contains($"GET /projects/{env.Project.Id}/members/all/{env.Alice.Id}", env.GitLab.Actions);
        Assert.Contains(mrRead, env.GitLab.Actions);
        Assert.DoesNotContain(env.GitLab.Actions, a => a.StartsWith($"GET /projects/{env.Project.Id}/members/all ", StringComparison.Ordinal)
            || a == $"GET /projects/{env.Project.Id}/members/all");
        Assert.Empty(env.Problems());
    }
}
