using System.Diagnostics;
using System.Text.RegularExpressions;

namespace GitLabMrBot.FunctionalTests.Startup;

/// <summary>Every `bash` block of the README pastes into bash as it is: bash parses it without an error.</summary>
public sealed partial class ReadmeShellBlocksTests
{
    public static TheoryData<int, string> Blocks()
    {
        var readme = File.ReadAllText(Path.Combine(RunAsReadmeSaysTests.RepositoryRoot(), "README.md"));
        var data = new TheoryData<int, string>();
        var index = 0;
        foreach (Match block in BashBlock().Matches(readme))
        {
            data.Add(++index, block.Groups["code"].Value);
        }
        return data;
    }

    [Fact]
    public void The_README_has_bash_blocks_to_check()
    {
        Assert.True(Blocks().Count >= 5, "the README's run, test and install blocks were not found");
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public async Task A_README_bash_block_parses(int block, string code)
    {
        var (exitCode, errors) = await ParseAsync(code);

        Assert.True(exitCode == 0, $"README bash block {block} does not parse:\n{errors}\n---\n{code}");
    }

    [Fact]
    public async Task The_check_refuses_a_quote_that_ends_early()
    {
        var (exitCode, _) = await ParseAsync("export GITLAB_TOKEN='<the bot user's token>'\n");

        Assert.NotEqual(0, exitCode);
    }

    private static async Task<(int ExitCode, string Errors)> ParseAsync(string code)
    {
        var start = new ProcessStartInfo("bash", "-n")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var bash = Process.Start(start)!;
        await bash.StandardInput.WriteAsync(code);
        bash.StandardInput.Close();
        var errors = await bash.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await bash.WaitForExitAsync(timeout.Token);
        return (bash.ExitCode, errors);
    }

    [GeneratedRegex(@"^```bash\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex BashBlock();
}
