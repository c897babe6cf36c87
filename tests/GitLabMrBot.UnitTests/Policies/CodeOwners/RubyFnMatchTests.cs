using GitLabMrBot.Policies.CodeOwners;

namespace GitLabMrBot.UnitTests.Policies.CodeOwners;

public sealed class RubyFnMatchTests
{
    [Fact]
    public void Every_case_answers_as_ruby_file_fnmatch_with_pathname_and_dotmatch()
    {
        // fnmatch-cases.tsv holds Ruby 3.1's own answers (regenerate with fnmatch-cases.rb).
        var rows = System.IO.File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Policies", "CodeOwners", "fnmatch-cases.tsv"));
        Assert.True(rows.Length > 4000, "the Ruby table is missing or truncated");

        var wrong = new List<string>();
        foreach (var row in rows)
        {
            var parts = row.Split('\t');
            var expected = bool.Parse(parts[2]);
            if (RubyFnMatch.IsMatch(parts[0], parts[1]) != expected)
            {
                wrong.Add($"{parts[0]} vs {parts[1]}: Ruby says {expected}");
            }

            if (new CompiledPattern(parts[0]).IsMatch(parts[1]) != expected)
            {
                wrong.Add($"compiled {parts[0]} vs {parts[1]}: Ruby says {expected}");
            }
        }

        Assert.Empty(wrong);
        Assert.Contains(rows, r => r.EndsWith("\ttrue", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.EndsWith("\tfalse", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/**/*.rb", "/app/controllers/users/stars_controller.rb", true)]
    [InlineData("/docs/*", "/docs/api/index.md", false)]
    [InlineData("/docs/**", "/docs/api/index.md", false)]
    [InlineData("/**/*", "/.gitignore", true)]
    [InlineData("/**/[!]", "/x", true)]
    [InlineData("/**/[abc", "/a", false)]
    public void Notable_ruby_answers(string pattern, string path, bool expected) =>
        Assert.Equal(expected, RubyFnMatch.IsMatch(pattern, path));
}
