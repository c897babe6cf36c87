using GitLabMrBot.Cli;
using GitLabMrBot.GitLab;

namespace GitLabMrBot.UnitTests.Cli;

public sealed class CliArgumentsTests
{
    private static readonly HashSet<string> Values = ["--group", "--url", "--config"];
    private static readonly HashSet<string> Flags = ["--dry-run"];

    [Fact]
    public void Flags_take_no_value_and_values_are_read_in_both_forms()
    {
        var parsed = CliArguments.Parse(["--dry-run", "--group", "acme/a", "--url=https://x.example.com", "--config", "c.json"], Values, Flags, out var error);

        Assert.NotNull(parsed);
        Assert.Null(error);
        Assert.True(parsed.Flag("--dry-run"));
        Assert.Equal("acme/a", parsed["--group"]);
        Assert.Equal("https://x.example.com", parsed["--url"]);
        Assert.Equal("c.json", parsed["--config"]);
    }

    [Fact]
    public void A_flag_is_unknown_to_a_parser_that_was_not_given_it()
    {
        Assert.Null(CliArguments.Parse(["--dry-run"], Values, out var error));
        Assert.Equal("unknown option '--dry-run'", error);
    }

    [Theory]
    [InlineData("acme", "acme")]
    [InlineData("acme/platform/api", "acme%2Fplatform%2Fapi")]
    [InlineData("/acme/platform/", "acme%2Fplatform")]
    [InlineData("42", "42")]
    public void Group_ids_and_paths_become_one_path_segment(string idOrPath, string encoded) =>
        Assert.Equal(encoded, GitLabPaths.EncodeNamespacePath(idOrPath));
}
