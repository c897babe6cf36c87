using GitLabMrBot.Policies;

namespace GitLabMrBot.UnitTests.Policies;

public sealed class GlobTests
{
    [Theory]
    [InlineData("*.css", "app.css", true)]
    [InlineData("*.css", "web/app.css", false)] // * stays within a segment
    [InlineData("**/*.css", "app.css", true)] // **/ is zero or more directories
    [InlineData("**/*.css", "web/styles/app.css", true)]
    [InlineData("**/*.css", "web/app.cssx", false)]
    [InlineData("web/**", "web/app.css", true)]
    [InlineData("web/**", "web/a/b/c.ts", true)]
    [InlineData("web/**", "website/app.css", false)]
    [InlineData("web/**", "src/web/app.css", false)]
    [InlineData("src/**/test/*.cs", "src/test/a.cs", true)]
    [InlineData("src/**/test/*.cs", "src/a/b/test/a.cs", true)]
    [InlineData("src/**/test/*.cs", "src/a/b/test/x/a.cs", false)]
    [InlineData("docs/*", "docs/readme.md", true)]
    [InlineData("docs/*", "docs/sub/readme.md", false)]
    [InlineData("file?.txt", "file1.txt", true)]
    [InlineData("file?.txt", "file12.txt", false)]
    [InlineData("a?b", "a/b", false)] // ? never matches /
    [InlineData("hotfix/*", "hotfix/urgent", true)]
    [InlineData("hotfix/*", "hotfix/a/b", false)]
    [InlineData("release/*", "release/1.2", true)]
    [InlineData("**", "any/thing/at/all", true)]
    [InlineData("*.{js,ts}", "app.ts", true)]
    [InlineData("*.{js,ts}", "app.rb", false)]
    [InlineData("[abc].txt", "b.txt", true)]
    [InlineData("[!abc].txt", "d.txt", true)]
    [InlineData("[!abc].txt", "a.txt", false)]
    [InlineData("a.b", "axb", false)] // . is literal, not regex "any char"
    [InlineData("(x)+", "(x)+", true)] // regex syntax is literal
    [InlineData("(x)+", "xx", false)]
    [InlineData("$HOME^", "$HOME^", true)]
    [InlineData("\\*.md", "*.md", true)] // escaped star is literal
    [InlineData("\\*.md", "a.md", false)]
    [InlineData("README.md", "readme.md", false)] // Git paths are case-sensitive
    public void Glob_matches_paths(string glob, string path, bool expected)
    {
        Assert.Equal(expected, Glob.Parse(glob).IsMatch(path));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/abs/*", "relative")]
    [InlineData("a/***", "***")]
    [InlineData("a**/b", "whole path segment")]
    [InlineData("[abc", "unclosed [")]
    [InlineData("{a,b", "unclosed {")]
    [InlineData("a\\", "end with")]
    public void Invalid_globs_say_why(string glob, string reason)
    {
        Assert.False(Glob.TryParse(glob, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Matching_stays_fast_on_long_adversarial_paths()
    {
        var glob = Glob.Parse("**/a/**/a/**/a/**/a/**/b");
        var path = string.Join('/', Enumerable.Repeat("a", 5000));
        var watch = System.Diagnostics.Stopwatch.StartNew();

        Assert.False(glob.IsMatch(path));

        // Non-backtracking matching is linear; a backtracking translation would take far longer.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }
}
