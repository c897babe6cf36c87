using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>
/// Issue 11 item 2: the bot remembers its summary note (id and the hash of the body it last wrote) and the policy comments
/// it posted, so an ordinary evaluation reads no notes; it reads them only when its store knows nothing of the MR.
/// </summary>
public sealed class SummaryNoteRecordTests
{
    private static readonly Dictionary<string, string?> Css = new() { ["web/app.css"] = "body { color: red; }\n" };

    [Fact]
    public async Task Item2_an_irrelevant_edit_reads_no_notes_and_writes_nothing()
    {
        await using var env = await BotWithGitLab.StartAsync();
        // A hotfix MR: the bot writes both a policy comment and the summary.
        env.GitLab.Push(env.Alice, env.Project, "release/1.0", new Dictionary<string, string?> { ["RELEASE"] = "1.0\n" }, startFrom: "main");
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Fix the colours", "hotfix/colours", targetBranch: "release/1.0", files: Css);
        await env.WaitForQuietAsync();
        var notes = env.BotNotes(mr);
        Assert.Equal(2, notes.Count);
        env.GitLab.ClearRequests();

        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Description = "Now with a description." });
        await env.WaitForQuietAsync();

        Assert.DoesNotContain(env.GitLab.Requests, r => r.Method == "GET" && r.Path.Contains("/notes", StringComparison.Ordinal));
        Assert.Contains(env.GitLab.Requests, r => r.Method == "GET" && r.Path.EndsWith($"/merge_requests/{mr.Iid}", StringComparison.Ordinal));
        Assert.Empty(env.Writes);
        Assert.Equal(notes, env.BotNotes(mr));
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item2_a_deleted_summary_note_is_posted_again_once()
    {
        await using var env = await BotWithGitLab.StartAsync();
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: Css);
        await env.WaitForQuietAsync();
        var summary = Assert.Single(env.GitLab.GetNotes(mr), n => n.Author == env.BotUser.Username && !n.System);
        Assert.True(env.GitLab.DeleteNote(mr, summary.Id));
        env.GitLab.ClearRequests();

        // A new label changes the summary: the bot edits the note it remembers, which is gone.
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Title = "feat: style the app" });
        await env.WaitForQuietAsync();

        var reposted = Assert.Single(env.BotNotes(mr));
        Assert.Contains("type::feature", reposted, StringComparison.Ordinal);
        Assert.Single(env.GitLab.Requests, r => r.Method == "PUT" && r.Path.EndsWith($"/notes/{summary.Id}", StringComparison.Ordinal) && r.Status == 404);
        Assert.Single(env.GitLab.Writes, r => r.Method == "POST" && r.Path.EndsWith("/notes", StringComparison.Ordinal));

        // The new note is remembered: the next edit that changes nothing reads no notes and writes nothing.
        env.GitLab.ClearRequests();
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Description = "Now with a description." });
        await env.WaitForQuietAsync();
        Assert.Empty(env.Writes);
        Assert.DoesNotContain(env.GitLab.Requests, r => r.Method == "GET" && r.Path.Contains("/notes", StringComparison.Ordinal));
        Assert.Equal(reposted, Assert.Single(env.BotNotes(mr)));
    }

    [Fact]
    public async Task Item2_after_the_store_is_wiped_the_bot_finds_its_note_by_marker_and_posts_no_second_one()
    {
        await using var env = await BotWithGitLab.StartAsync();
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: Css);
        await env.WaitForQuietAsync();
        var summary = Assert.Single(env.GitLab.GetNotes(mr), n => n.Author == env.BotUser.Username && !n.System);

        // A new database: the bot has no record of the MR.
        await env.StopBotAsync();
        foreach (var file in new[] { env.DatabasePath, env.DatabasePath + "-wal", env.DatabasePath + "-shm" })
        {
            File.Delete(file);
        }
        await env.StartBotAsync();
        env.GitLab.ClearRequests();

        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Title = "feat: style the app" });
        await env.WaitForQuietAsync();

        var note = Assert.Single(env.GitLab.GetNotes(mr), n => n.Author == env.BotUser.Username && !n.System);
        Assert.Equal(summary.Id, note.Id);
        Assert.Contains("type::feature", note.Body, StringComparison.Ordinal);
        Assert.Contains(env.GitLab.Requests, r => r.Method == "GET" && r.Path.EndsWith("/notes", StringComparison.Ordinal));
        Assert.DoesNotContain(env.GitLab.Writes, r => r.Method == "POST" && r.Path.EndsWith("/notes", StringComparison.Ordinal));
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item2_with_reviewers_an_applied_decision_reads_no_notes_and_a_wiped_store_reads_the_bots_system_notes_again()
    {
        const string config = """
            {
              "policies": [ { "name": "api", "when": { "changedFiles": ["src/api/**"] }, "then": { "addLabels": ["backend"] } } ],
              "reviewers": { "count": 1, "codeOwners": true, "strategy": "round-robin" },
              "summaryComment": true
            }
            """;
        await using var env = await BotWithGitLab.StartAsync(config);
        var bob = env.GitLab.AddUser("bob");
        var carol = env.GitLab.AddUser("carol");
        env.GitLab.AddMember(env.Project, bob, AccessLevel.Developer);
        env.GitLab.AddMember(env.Project, carol, AccessLevel.Developer);
        env.GitLab.Push(env.Alice, env.Project, "main", new Dictionary<string, string?> { ["CODEOWNERS"] = "/src/api/ @bob\n/web/ @carol\n" });
        await env.WaitForQuietAsync();
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Add orders API", "orders", files: new Dictionary<string, string?> { ["src/api/orders.cs"] = "class Orders {}\n" });
        await env.WaitForQuietAsync();
        Assert.Equal(["bob"], env.GitLab.GetMergeRequest(mr).Reviewers);

        // The decision is applied and stored: an edit that changes nothing reads no notes.
        env.GitLab.ClearRequests();
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Description = "Now with a description." });
        await env.WaitForQuietAsync();
        Assert.DoesNotContain(env.GitLab.Requests, r => r.Method == "GET" && r.Path.Contains("/notes", StringComparison.Ordinal));
        Assert.Empty(env.Writes);

        // A new database, a human takes bob off: GitLab's system notes still say the bot asked bob, so no one is asked again.
        await env.StopBotAsync();
        foreach (var file in new[] { env.DatabasePath, env.DatabasePath + "-wal", env.DatabasePath + "-shm" })
        {
            File.Delete(file);
        }
        await env.StartBotAsync();
        env.GitLab.ClearRequests();
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Reviewers = [] });
        await env.WaitForQuietAsync();

        Assert.Empty(env.GitLab.GetMergeRequest(mr).Reviewers);
        Assert.Contains(env.GitLab.Requests, r => r.Method == "GET" && r.Path.EndsWith("/notes", StringComparison.Ordinal));
        Assert.DoesNotContain(env.Writes, w => w.StartsWith("PUT", StringComparison.Ordinal) && !w.Contains("/notes", StringComparison.Ordinal));
        Assert.Single(env.BotNotes(mr));
    }
}
