using GitLabMrBot.Cli;
using GitLabMrBot.GitLab;

namespace GitLabMrBot.UnitTests.Cli;

public sealed class CliArgumentsTests
{
    private static readonly string[] Values = ["--group", "--url"];
    private static readonly string[] Flags = ["--dry-run"];

    [Fact]
    public void Values_flags_and_settings_switches_are_read_in_both_forms()
    {
        Assert.True(CliArguments.TryParse(["--group", "acme/a", "--url=https://x.example.com", "--dry-run", "--config", "c.json"], Values, Flags, out var parsed, out _));

        Assert.Equal("acme/a", parsed.Value("--group"));
        Assert.Equal("https://x.example.com", parsed.Value("--url"));
        Assert.True(parsed.Flag("--dry-run"));
        Assert.Equal("c.json", parsed.Value("--config"));
    }

    [Theory]
    [InlineData(new[] { "--dryrun" }, "unknown option --dryrun")]
    [InlineData(new[] { "acme" }, "unexpected argument 'acme'")]
    [InlineData(new[] { "--group" }, "--group needs a value")]
    [InlineData(new[] { "--group", "--dry-run" }, "--group needs a value")]
    [InlineData(new[] { "--dry-run=yes" }, "--dry-run takes no value")]
    public void Mistakes_are_refused_with_what_is_wrong(string[] args, string error)
    {
        Assert.False(CliArguments.TryParse(args, Values, Flags, out _, out var message));
        Assert.Equal(error + ".", message);
    }

    [Theory]
    [InlineData("acme", "acme")]
    [InlineData("acme/platform/api", "acme%2Fplatform%2Fapi")]
    [InlineData("/acme/platform/", "acme%2Fplatform")]
    [InlineData("42", "42")]
    public void Group_ids_and_paths_become_one_path_segment(string idOrPath, string encoded) =>
        Assert.Equal(encoded, GitLabPaths.EncodeNamespacePath(idOrPath));
}
