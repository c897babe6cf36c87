using GitLabMrBot.TestGitLab;
using Xunit.Abstractions;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>
/// Issue 14 item 5: an MR that edits the project file (<c>.gitlab/mrbot.json</c>) gets one preview note saying what the
/// file, as it is on the MR's source branch, would change on this MR and on other open MRs, computed without writing
/// anything else; kept up to date by pushes; errors with their lines when the file is invalid.
/// </summary>
public sealed class ProjectFilePreviewTests(ITestOutputHelper output)
{
    // The preview note's own marker (written here literally: the tests must hold whatever the code calls it).
    private const string Marker = "<!-- gitlab-mr-bot:config-preview -->";
    private const string ProjectFile = ".gitlab/mrbot.json";

    // The group lets project files add policies (the "projects" section's defaults).
    private static readonly string GroupConfig = BotWithGitLab.DefaultConfig.Replace("\"summaryComment\": true", "\"summaryComment\": true, \"projects\": {}", StringComparison.Ordinal);

    private const string ApiRule = """
        {
          "policies": [
            { "name": "api", "when": { "changedFiles": ["src/api/**"] }, "then": { "addLabels": ["backend"] } }
          ]
        }
        """;

    private const string OrdersOnlyRule = """
        {
          "policies": [
            { "name": "api", "when": { "changedFiles": ["src/api/orders*"] }, "then": { "addLabels": ["backend"] } }
          ]
        }
        """;

    // "addLabel" (no s) is no action: the error is on line 3, where the policy is.
    private const string InvalidRule = """
        {
          "policies": [
            { "name": "api", "when": { "changedFiles": ["src/api/**"] }, "then": { "addLabel": ["backend"] } }
          ]
        }
        """;

    [Fact]
    public async Task Item5_a_preview_lists_the_changes_on_two_other_open_MRs_is_updated_after_a_push_and_writes_nothing_else()
    {
        await using var env = await BotWithGitLab.StartAsync(GroupConfig);
        var orders = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Add orders API", "orders", files: Files("src/api/orders.cs", "class Orders {}\n"));
        var users = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Add users API", "users", files: Files("src/api/users.cs", "class Users {}\n"));
        var styles = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: Files("web/app.css", "body { color: red; }\n"));
        await env.WaitForQuietAsync();
        var othersBefore = new[] { orders, users, styles }.Select(mr => (env.GitLab.GetMergeRequest(mr).Labels, env.BotNotes(mr))).ToList();
        env.GitLab.ClearRequests();

        var rules = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Label API changes as backend", "mrbot-rules", files: Files(ProjectFile, ApiRule));
        await env.WaitForQuietAsync();

        var preview = PreviewNote(env, rules);
        output.WriteLine($"preview:\n{preview.Body}");
        Assert.Contains($"!{orders.Iid} `Add orders API`", preview.Body, StringComparison.Ordinal);
        Assert.Contains($"!{users.Iid} `Add users API`", preview.Body, StringComparison.Ordinal);
        Assert.Contains("`backend`", preview.Body, StringComparison.Ordinal);
        Assert.DoesNotContain($"!{styles.Iid} ", preview.Body, StringComparison.Ordinal);
        // Nothing written anywhere but the MR's own evaluation and its one preview note: no label, no note on the other MRs,
        // no project label created for "backend".
        AssertWritesOnlyOn(env, rules);
        Assert.Single(env.GitLab.Writes, w => w.Method == "POST" && w.Path.EndsWith("/notes", StringComparison.Ordinal) && w.Parameters.Any(p => p.Value.Contains(Marker, StringComparison.Ordinal)));
        Assert.Equal(othersBefore, new[] { orders, users, styles }.Select(mr => (env.GitLab.GetMergeRequest(mr).Labels, env.BotNotes(mr))).ToList(), new SameLabelsAndNotes());

        // A push narrows the rule: the same note now lists only the orders MR.
        env.GitLab.ClearRequests();
        env.GitLab.Push(env.Alice, env.Project, "mrbot-rules", Files(ProjectFile, OrdersOnlyRule));
        await env.WaitForQuietAsync();

        var updated = PreviewNote(env, rules);
        output.WriteLine($"preview after the push:\n{updated.Body}");
        output.WriteLine($"requests after the push ({env.GitLab.Requests.Count}):\n{string.Join("\n", env.GitLab.Actions)}");
        Assert.Equal(preview.Id, updated.Id);
        Assert.Contains($"!{orders.Iid} `Add orders API`", updated.Body, StringComparison.Ordinal);
        Assert.DoesNotContain($"!{users.Iid} ", updated.Body, StringComparison.Ordinal);
        AssertWritesOnlyOn(env, rules);
        Assert.Single(env.GitLab.Writes, w => w.Method == "PUT" && w.Path.EndsWith($"/notes/{preview.Id}", StringComparison.Ordinal));

        // The head did not move: another evaluation of the MR reads neither the file nor the other MRs, and writes nothing.
        env.GitLab.ClearRequests();
        env.GitLab.UpdateMergeRequest(env.Alice, rules, new MergeRequestUpdate { Description = "The API team asked for it." });
        await env.WaitForQuietAsync();
        Assert.DoesNotContain(env.GitLab.Requests, r => r.Method == "GET" && r.Path.EndsWith("/merge_requests", StringComparison.Ordinal));
        Assert.DoesNotContain(env.GitLab.Requests, r => r.Path.Contains("/repository/files/", StringComparison.Ordinal));
        Assert.DoesNotContain(env.GitLab.Requests, r => r.Path.Contains($"/merge_requests/{orders.Iid}", StringComparison.Ordinal));
        Assert.Empty(env.Writes);
        Assert.Equal(updated.Body, PreviewNote(env, rules).Body);

        // Merged, the file is the project's rules: the next evaluation of the orders MR does what the preview said, and the
        // preview stays as it was.
        env.GitLab.Merge(env.Alice, rules);
        await env.WaitForQuietAsync();
        env.GitLab.UpdateMergeRequest(env.Alice, orders, new MergeRequestUpdate { Description = "Orders, at last." });
        env.GitLab.UpdateMergeRequest(env.Alice, users, new MergeRequestUpdate { Description = "Users, at last." });
        await env.WaitForQuietAsync();
        Assert.Contains("backend", env.GitLab.GetMergeRequest(orders).Labels);
        Assert.DoesNotContain("backend", env.GitLab.GetMergeRequest(users).Labels);
        Assert.Equal(updated.Body, PreviewNote(env, rules).Body);
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item5_an_invalid_file_gets_a_preview_with_the_error_and_its_line_and_the_preview_is_marked_obsolete_when_the_MR_stops_changing_the_file()
    {
        await using var env = await BotWithGitLab.StartAsync(GroupConfig);
        var rules = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Project rules", "mrbot-rules",
            files: new Dictionary<string, string?> { [ProjectFile] = InvalidRule, ["docs/rules.md"] = "# Rules\n" });
        await env.WaitForQuietAsync();

        var preview = PreviewNote(env, rules);
        output.WriteLine($"preview of the invalid file:\n{preview.Body}");
        Assert.Contains("invalid", preview.Body, StringComparison.Ordinal);
        Assert.Contains("line 3", preview.Body, StringComparison.Ordinal);
        Assert.Contains("addLabel", preview.Body, StringComparison.Ordinal);
        AssertWritesOnlyOn(env, rules);

        // Fixed by a push: the same note becomes the preview of valid rules.
        env.GitLab.Push(env.Alice, env.Project, "mrbot-rules", Files(ProjectFile, ApiRule));
        await env.WaitForQuietAsync();
        var valid = PreviewNote(env, rules);
        Assert.Equal(preview.Id, valid.Id);
        Assert.DoesNotContain("line 3", valid.Body, StringComparison.Ordinal);

        // The file taken out of the MR: the preview says it is obsolete (edited, not deleted, so the thread stays readable).
        env.GitLab.ClearRequests();
        env.GitLab.Push(env.Alice, env.Project, "mrbot-rules", Files(ProjectFile, null));
        await env.WaitForQuietAsync();
        var obsolete = PreviewNote(env, rules);
        output.WriteLine($"obsolete preview:\n{obsolete.Body}");
        Assert.Equal(preview.Id, obsolete.Id);
        Assert.Contains("no longer changes", obsolete.Body, StringComparison.Ordinal);
        Assert.Single(env.GitLab.Writes, w => w.Method == "PUT" && w.Path.EndsWith($"/notes/{preview.Id}", StringComparison.Ordinal));
        AssertWritesOnlyOn(env, rules);
        Assert.Empty(env.Problems());
    }

    [Theory]
    [InlineData("\"dryRun\": true", "Dry run")]
    [InlineData("\"summaryComment\": false", "summaryComment is off")]
    public async Task Item5_in_dry_run_or_without_summary_notes_the_preview_is_logged_and_not_posted(string setting, string loggedAs)
    {
        var config = GroupConfig.Replace("\"summaryComment\": true", setting, StringComparison.Ordinal);
        await using var env = await BotWithGitLab.StartAsync(config);
        var orders = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Add orders API", "orders", files: Files("src/api/orders.cs", "class Orders {}\n"));
        var rules = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Label API changes as backend", "mrbot-rules", files: Files(ProjectFile, ApiRule));
        await env.WaitForQuietAsync();

        Assert.DoesNotContain(env.GitLab.Writes, w => w.Path.Contains("/notes", StringComparison.Ordinal));
        var logged = Assert.Single(env.Bot.Logs.Entries, e => e.Message.StartsWith(loggedAs, StringComparison.Ordinal) && e.Message.Contains("preview", StringComparison.Ordinal));
        Assert.Contains($"!{rules.Iid}", logged.Message, StringComparison.Ordinal);
        Assert.Contains($"!{orders.Iid} `Add orders API`", logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item5_a_group_that_reads_no_project_files_gets_no_preview()
    {
        await using var env = await BotWithGitLab.StartAsync();
        var rules = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Label API changes as backend", "mrbot-rules", files: Files(ProjectFile, ApiRule));
        await env.WaitForQuietAsync();

        Assert.DoesNotContain(env.BotNotes(rules), n => n.Contains(Marker, StringComparison.Ordinal));
        Assert.DoesNotContain(env.GitLab.Requests, r => r.Path.Contains("/repository/files/", StringComparison.Ordinal));
    }

    private static Dictionary<string, string?> Files(string path, string? text) => new() { [path] = text };

    private static NoteView PreviewNote(BotWithGitLab env, GitLabMergeRequest mr) =>
        Assert.Single(env.GitLab.GetNotes(mr), n => n.Author == env.BotUser.Username && !n.System && n.Body.Contains(Marker, StringComparison.Ordinal));

    /// <summary>Every write since the log was cleared went to <paramref name="mr"/> (its labels or its notes): none elsewhere.</summary>
    private static void AssertWritesOnlyOn(BotWithGitLab env, GitLabMergeRequest mr) =>
        Assert.All(env.GitLab.Writes, w => Assert.True(
            w.Path.EndsWith($"/merge_requests/{mr.Iid}", StringComparison.Ordinal) || w.Path.Contains($"/merge_requests/{mr.Iid}/notes", StringComparison.Ordinal)
            || (w.Path.EndsWith("/labels", StringComparison.Ordinal) && !w.Parameters.Any(p => p.Value == "backend")),
            $"a write elsewhere: {w.Action}"));

    private sealed class SameLabelsAndNotes : IEqualityComparer<(IReadOnlyList<string> Labels, IReadOnlyList<string> Notes)>
    {
        public bool Equals((IReadOnlyList<string> Labels, IReadOnlyList<string> Notes) x, (IReadOnlyList<string> Labels, IReadOnlyList<string> Notes) y) =>
            x.Labels.SequenceEqual(y.Labels) && x.Notes.SequenceEqual(y.Notes);

        public int GetHashCode((IReadOnlyList<string> Labels, IReadOnlyList<string> Notes) obj) => obj.Labels.Count;
    }
}
