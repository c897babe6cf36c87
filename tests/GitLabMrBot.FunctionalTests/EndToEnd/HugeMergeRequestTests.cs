using System.Globalization;
using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>
/// Issue 10 item 5: merge requests GitLab does not return whole (docs/gitlab-behaviour.md §3.2): too-large or collapsed files
/// come back with an empty diff, and past the diff limits GitLab stops listing files (<c>changes_count</c> "N+").
/// </summary>
public sealed class HugeMergeRequestTests
{
    private const string Incomplete = "GitLab did not return the whole diff";

    /// <summary>3,300 lines of 67 bytes: a 221 KB patch, past GitLab's 200 KB per file.</summary>
    private static readonly string Huge = string.Concat(Enumerable.Range(0, 3300).Select(i => i.ToString("D6", CultureInfo.InvariantCulture) + new string('x', 60) + "\n"));

    /// <summary>400 lines of 67 bytes: a 27 KB patch, past a tenth of the limit (collapsed where GitLab collapses).</summary>
    private static readonly string Large = string.Concat(Enumerable.Range(0, 400).Select(i => i.ToString("D6", CultureInfo.InvariantCulture) + new string('y', 60) + "\n"));

    [Theory]
    [InlineData("too_large")]
    [InlineData("collapsed")]
    [InlineData("before 18.4")]
    public async Task Item5_a_file_GitLab_did_not_return_makes_the_MR_the_largest_size_and_the_summary_says_so(string mode)
    {
        await using var env = await BotWithGitLab.StartAsync();
        env.GitLab.CollapseLargePatches = mode == "collapsed";
        env.GitLab.DiffFlagsAvailable = mode != "before 18.4";

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Add the data", "data", files: new Dictionary<string, string?>
        {
            ["data/table.csv"] = mode == "collapsed" ? Large : Huge,
            ["web/app.css"] = "body {}\n",
        });
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "size::XL"], env.GitLab.GetMergeRequest(mr).Labels.Order());
        var note = Assert.Single(env.BotNotes(mr));
        Assert.Contains(Incomplete, note);
        Assert.Contains("data/table.csv", note);
    }

    [Fact]
    public async Task Item5_before_18_4_an_empty_new_file_is_read_to_tell_it_from_a_file_too_large_to_show()
    {
        await using var env = await BotWithGitLab.StartAsync();
        env.GitLab.DiffFlagsAvailable = false;

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Add a package", "package", files: new Dictionary<string, string?>
        {
            ["src/pkg/__init__.py"] = "",
            ["src/pkg/main.py"] = "print('hi')\n",
        });
        await env.WaitForQuietAsync();

        Assert.Contains("size::XS", env.GitLab.GetMergeRequest(mr).Labels);
        Assert.DoesNotContain(Incomplete, Assert.Single(env.BotNotes(mr)));
    }

    [Fact]
    public async Task Item5_a_too_large_file_that_sizeLabels_ignores_does_not_make_the_MR_large()
    {
        var config = BotWithGitLab.DefaultConfig.Replace("\"largest\": \"XL\"", "\"largest\": \"XL\", \"ignore\": [\"data/**\"]", StringComparison.Ordinal);
        await using var env = await BotWithGitLab.StartAsync(config);

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Add the data", "data", files: new Dictionary<string, string?>
        {
            ["data/table.csv"] = Huge,
            ["web/app.css"] = "body {}\n",
        });
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "size::XS"], env.GitLab.GetMergeRequest(mr).Labels.Order());
    }

    [Fact]
    public async Task Item5_past_the_file_limit_the_MR_is_the_largest_size_and_onlyChangedFiles_cannot_hold()
    {
        await using var env = await BotWithGitLab.StartAsync();
        env.GitLab.DiffLimits = new DiffLimits { MaxFiles = 3 };

        // Five one-line docs: GitLab stores three and says changes_count "3+". The two it did not list may be anything.
        var files = Enumerable.Range(1, 5).ToDictionary(i => $"docs/page{i}.md", i => (string?)$"# Page {i}\n");
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Write the docs", "docs", files: files);
        await env.WaitForQuietAsync();

        Assert.Equal(["size::XL"], env.GitLab.GetMergeRequest(mr).Labels);
        var note = Assert.Single(env.BotNotes(mr));
        Assert.Contains(Incomplete, note);
        Assert.Contains("docs-only", note); // the policy that could not be decided is named
    }
}
