using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

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
        // GitLab fires the hook only when the stored text changed (docs/gitlab-behaviour.md §3.3): once, for the second edit.
        Assert.Equal(["Note Hook"], Server.Deliveries.Skip(before).Select(d => d.Event));
    }

    [Fact]
    public async Task A_diff_has_no_file_header_lines_so_a_deleted_SQL_comment_reads_as_a_line_starting_with_three_dashes()
    {
        Server.Push(Alice, Project, "main", new Dictionary<string, string?> { ["db/schema.sql"] = "-- users\ncreate table users (id int);\n" });
        var mr = Server.OpenMergeRequest(Project, Alice, "Drop the comment", "drop-comment",
            files: new Dictionary<string, string?> { ["db/schema.sql"] = "create table users (id int);\n" });

        var diff = Assert.Single((await Json(await Api.GetAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/diffs"))).AsArray());

        // Hunks only; "--- a/…" and "+++ b/…" come only with unidiff=true (docs/gitlab-behaviour.md §3.2).
        Assert.Equal("@@ -1,2 +1,1 @@\n--- users\n create table users (id int);\n", (string)diff!["diff"]!);
    }

    private static string Lines(int count, int width = 60) =>
        string.Concat(Enumerable.Range(0, count).Select(i => i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture) + new string('x', width) + "\n"));

    private async Task<(JsonArray Diffs, string ChangesCount)> ReadDiffs(GitLabMergeRequest mr)
    {
        var diffs = (await Json(await Api.GetAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}/diffs?per_page=100"))).AsArray();
        var single = await Json(await Api.GetAsync($"projects/{Project.Id}/merge_requests/{mr.Iid}"));
        return (diffs, (string)single["changes_count"]!);
    }

    [Fact]
    public async Task A_patch_reaching_200_KB_comes_back_with_an_empty_diff_flagged_too_large_from_GitLab_18_4()
    {
        // 3,300 lines of 67 bytes: a 221 KB patch.
        var mr = Server.OpenMergeRequest(Project, Alice, "Vendor a library", "vendor",
            files: new Dictionary<string, string?> { ["vendor/big.js"] = Lines(3300), ["src/app.js"] = "run();\n" });

        var (diffs, count) = await ReadDiffs(mr);
        Server.DiffFlagsAvailable = false;
        var (before184, _) = await ReadDiffs(mr);

        Assert.Equal("2", count);
        var big = diffs.Single(d => (string)d!["new_path"]! == "vendor/big.js")!;
        Assert.Equal("", (string)big["diff"]!);
        Assert.True((bool)big["too_large"]!);
        Assert.False((bool)big["collapsed"]!);
        var small = diffs.Single(d => (string)d!["new_path"]! == "src/app.js")!;
        Assert.False((bool)small["too_large"]!);
        Assert.Equal("@@ -0,0 +1,1 @@\n+run();\n", (string)small["diff"]!);
        // Before 18.4 only the empty diff tells.
        var old = before184.Single(d => (string)d!["new_path"]! == "vendor/big.js")!.AsObject();
        Assert.Equal("", (string)old["diff"]!);
        Assert.False(old.ContainsKey("too_large"));
        Assert.False(old.ContainsKey("collapsed"));
    }

    [Fact]
    public async Task A_patch_reaching_a_tenth_of_the_limit_comes_back_collapsed_when_GitLab_collapses()
    {
        Server.CollapseLargePatches = true;
        // 400 lines of 67 bytes: a 27 KB patch, past 20 KB.
        var mr = Server.OpenMergeRequest(Project, Alice, "Add data", "data",
            files: new Dictionary<string, string?> { ["data/table.csv"] = Lines(400) });

        var diff = Assert.Single((await ReadDiffs(mr)).Diffs)!;

        Assert.Equal("", (string)diff["diff"]!);
        Assert.True((bool)diff["collapsed"]!);
        Assert.False((bool)diff["too_large"]!);
    }

    [Fact]
    public async Task Past_the_file_limit_the_rest_is_not_stored_and_changes_count_ends_in_a_plus()
    {
        Server.DiffLimits = new DiffLimits { MaxFiles = 3 };
        var files = Enumerable.Range(1, 5).ToDictionary(i => $"src/f{i}.txt", i => (string?)$"file {i}\n");
        var mr = Server.OpenMergeRequest(Project, Alice, "Five files", "five", files: files);

        var (diffs, count) = await ReadDiffs(mr);

        Assert.Equal("3+", count);
        Assert.Equal(["src/f1.txt", "src/f2.txt", "src/f3.txt"], diffs.Select(d => (string)d!["new_path"]!));
    }

    [Fact]
    public async Task The_file_that_reaches_the_line_limit_is_dropped_with_every_file_after_it()
    {
        Server.DiffLimits = new DiffLimits { MaxLines = 10 };
        var mr = Server.OpenMergeRequest(Project, Alice, "Three files", "three", files: new Dictionary<string, string?>
        {
            ["a.txt"] = Lines(3), // 4 patch lines with the @@ line
            ["b.txt"] = Lines(6), // 7 more: 11, past 10
            ["c.txt"] = "c\n",
        });

        var (diffs, count) = await ReadDiffs(mr);

        Assert.Equal("1+", count);
        Assert.Equal(["a.txt"], diffs.Select(d => (string)d!["new_path"]!));
    }

    [Fact]
    public async Task With_the_old_page_size_bug_diffs_answer_500_above_30_per_page()
    {
        Server.DiffsPerPageLimit = 30;
        var mr = OpenMr();
        var path = $"projects/{Project.Id}/merge_requests/{mr.Iid}/diffs";

        var big = await Api.GetAsync($"{path}?per_page=31");
        var small = await Api.GetAsync($"{path}?per_page=30");
        var unspecified = await Api.GetAsync(path);

        Assert.Equal(HttpStatusCode.InternalServerError, big.StatusCode);
        Assert.Equal("""{"message":"500 Internal Server Error"}""", await big.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(2, (await Json(small)).AsArray().Count);
        Assert.Equal(HttpStatusCode.OK, unspecified.StatusCode);
    }
}
