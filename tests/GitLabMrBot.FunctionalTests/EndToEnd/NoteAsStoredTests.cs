using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>Issue 10 item 1: the summary note is compared as GitLab stores it (docs/gitlab-behaviour.md §3.3).</summary>
public sealed class NoteAsStoredTests
{
    private static readonly Dictionary<string, string?> Css = new() { ["web/app.css"] = "body { color: red; }\n" };

    [Fact]
    public async Task Item1_an_irrelevant_event_writes_nothing_because_the_summary_is_compared_as_GitLab_stores_it()
    {
        await using var env = await BotWithGitLab.StartAsync();
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: Css);
        await env.WaitForQuietAsync();
        var note = Assert.Single(env.BotNotes(mr));
        // GitLab stored the rendered summary without its final newline: what the bot reads back differs from what it rendered.
        Assert.False(note.EndsWith('\n'));
        env.GitLab.ClearRequests();

        // A description edit changes nothing any policy reads: the evaluation must find every label and the note as they are.
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Description = "Now with a description." });
        await env.WaitForQuietAsync();

        Assert.Empty(env.Writes);
        Assert.Contains(env.GitLab.Requests, r => r.Method == "GET" && r.Path.EndsWith($"/merge_requests/{mr.Iid}", StringComparison.Ordinal));
        Assert.Equal(note, Assert.Single(env.BotNotes(mr)));
        Assert.Empty(env.Problems());
    }
}
