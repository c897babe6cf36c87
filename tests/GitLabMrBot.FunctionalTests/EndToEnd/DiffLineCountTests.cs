using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>Issue 10 item 6: lines are counted from the API's diffs, which have no file header lines (docs/gitlab-behaviour.md §3.2).</summary>
public sealed class DiffLineCountTests
{
    [Fact]
    public async Task Item6_deleted_SQL_comments_and_added_lines_starting_with_two_pluses_count_as_changed_lines()
    {
        await using var env = await BotWithGitLab.StartAsync();
        var comments = string.Concat(Enumerable.Range(1, 6).Select(i => $"-- note {i}\n"));
        env.GitLab.Push(env.Alice, env.Project, "main", new Dictionary<string, string?> { ["db/schema.sql"] = comments + "create table t (id int);\n" });
        await env.WaitForQuietAsync();

        // 6 deleted "-- note" lines and 5 added "++ x" lines: 11 changed lines, more than XS's 10.
        var added = string.Concat(Enumerable.Range(1, 5).Select(i => $"++ counter {i}\n"));
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Tidy the schema", "tidy",
            files: new Dictionary<string, string?> { ["db/schema.sql"] = "create table t (id int);\n", ["notes.txt"] = added });
        await env.WaitForQuietAsync();

        Assert.Contains("size::S", env.GitLab.GetMergeRequest(mr).Labels);
        Assert.Contains("11 lines changed", Assert.Single(env.BotNotes(mr)));
    }
}
