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
        var (exitCode, errors) = await CheckAsync(code);

        Assert.True(exitCode == 0, $"README bash block {block} does not parse:\n{errors}\n---\n{code}");
    }

    [Fact]
    public async Task The_check_refuses_a_quote_that_ends_early()
    {
        var (exitCode, _) = await CheckAsync("export GITLAB_TOKEN='<the bot user's token>'\n");

        Assert.NotEqual(0, exitCode);
    }

    [Fact]
    public async Task Item5_the_check_refuses_an_apostrophe_in_a_placeholder_that_a_later_quote_balances()
    {
        // Three quotes on each line: bash -n of the whole block pairs the odd one with the next line's and finds no error,
        // but pasted line by line (or with a line left out) the first export never ends.
        const string code = """
            export GITLAB_TOKEN='<the bot user's token, scope api>'
            export GITLAB_WEBHOOK_SECRET='<the secret install printed, it's long>'

            """;

        var (exitCode, errors) = await CheckAsync(code);

        Assert.True(exitCode != 0, "the check let the quotes re-balance across lines");
        Assert.Contains("export GITLAB_TOKEN=", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item5_an_export_continued_on_the_next_line_is_checked_as_one_line()
    {
        var (exitCode, errors) = await CheckAsync("export GITLAB_URL=https://gitlab.example.com \\\n  GITLAB_TOKEN='glpat-x'\n");

        Assert.True(exitCode == 0, errors);
    }

    /// <summary>
    /// The block parsed whole, then each <c>export</c> line alone (lines ending in a backslash joined first): quotes
    /// may balance across lines in the whole block and still break the line a person pastes.
    /// </summary>
    private static async Task<(int ExitCode, string Errors)> CheckAsync(string code)
    {
        var (exitCode, errors) = await ParseAsync(code);
        if (exitCode != 0)
        {
            return (exitCode, errors);
        }
        foreach (var line in ContinuationJoint().Replace(code, " ").Split('\n').Where(l => l.TrimStart().StartsWith("export ", StringComparison.Ordinal)))
        {
            (exitCode, errors) = await ParseAsync(line + "\n");
            if (exitCode != 0)
            {
                return (exitCode, $"this line does not parse alone: {line.Trim()}\n{errors}");
            }
        }
        return (0, "");
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

    /// <summary>A backslash at the end of a line: the command goes on on the next one.</summary>
    [GeneratedRegex(@"\\\n")]
    private static partial Regex ContinuationJoint();
}
