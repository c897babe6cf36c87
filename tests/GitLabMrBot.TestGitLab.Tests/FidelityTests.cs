using System.Net.Http.Json;

namespace GitLabMrBot.TestGitLab.Tests;

/// <summary>GitLab behaviours the bot's fidelity items rely on (notes as stored, huge diffs, the /diffs page size).</summary>
public sealed class FidelityTests : GitLabTestBase
{
    private string NotesPath(GitLabMergeRequest mr) => $"projects/{Project.Id}/merge_requests/{mr.Iid}/notes";

    [Fact]
    public async Task Note_bodies_are_stored_without_carriage_returns_or_trailing_whitespace()
    {
        var mr = OpenMr();

        var created = await Json(await Api.PostAsJsonAsync(NotesPath(mr), new { body = "Hello\r\nworld \r\n\n\t \n" }));
        var listed = (await Json(await Api.GetAsync(NotesPath(mr)))).AsArray();

        Assert.Equal("Hello\nworld", (string)created["body"]!);
        Assert.Equal("Hello\nworld", (string)listed.Single(n => !(bool)n!["system"]!)!["body"]!);
        Assert.Equal("Hello\nworld", Server.GetNotes(mr).Single(n => !n.System).Body);
    }

    [Fact]
    public async Task An_edit_that_stores_the_same_text_fires_no_Note_Hook()
    {
        var mr = OpenMr();
        var id = (int)(await Json(await Api.PostAsJsonAsync(NotesPath(mr), new { body = "Summary\n" })))["id"]!;
        await Server.WaitForDeliveriesAsync();
        var before = Server.Deliveries.Count;

        var same = await Api.PutAsJsonAsync($"{NotesPath(mr)}/{id}", new { body = "Summary\r\n\n" });
        var changed = await Api.PutAsJsonAsync($"{NotesPath(mr)}/{id}", new { body = "Summary, edited\n" });
        await Server.WaitForDeliveriesAsync();

        Assert.Equal("Summary", (string)(await Json(same))["body"]!);
        Assert.Equal("Summary, edited", (string)(await Json(changed))["body"]!);
        // Notes::UpdateService fires the hook only when the stored text changed: once, for the second edit.
        Assert.Equal(["Note Hook"], Server.Deliveries.Skip(before).Select(d => d.Event));
    }

    [Fact]
    public async Task A_diff_has_no_file_header_lines_so_a_deleted_SQL_comment_reads_as_a_line_starting_with_three_dashes()
    {
        Server.Push(Alice, Project, "main", new Dictionary<string, string?> { ["db/schema.sql"] = "-- users\ncreate table users (id int);\n" });
        var mr = Server.OpenMergeRequest(Project, Alice, "Drop the comment", "drop-comment",
            files: new Dictionary<string, string?> { ["db/schema.sql"] = "create table users (id int);\n" });

        var diff = Assert.Single((await Json(await Api.GetAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/diffs"))).AsArray());

        // lib/api/entities/diff.rb exposes json_safe_diff: hunks only; "--- a/…" and "+++ b/…" come only with unidiff=true.
        Assert.Equal("@@ -1,2 +1,1 @@\n--- users\n create table users (id int);\n", (string)diff!["diff"]!);
    }
}
