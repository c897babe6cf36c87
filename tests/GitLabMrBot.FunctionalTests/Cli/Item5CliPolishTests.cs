using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using GitLabMrBot.Cli;
using GitLabMrBot.Configuration;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Startup;
using GitLabMrBot.TestGitLab;
using Microsoft.Extensions.Configuration;

namespace GitLabMrBot.FunctionalTests.Cli;

/// <summary>
/// Issue 15 item 5: a GitLab that does not answer is reported at once (no silent seconds of retries), bad
/// <c>--changed-file</c> counts are errors, the install/uninstall errors ask for what the README asks for (a group
/// Owner's token), and every verb's --help shows an example.
/// </summary>
public sealed class Item5CliPolishTests : IDisposable
{
    private const string Token = "glpat-item5-secret-token";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(3);
    private readonly TempDirectory _directory = new();

    [Theory]
    [InlineData("install")]
    [InlineData("uninstall")]
    [InlineData("doctor")]
    public async Task Item5_a_refused_connection_is_reported_within_3_s_with_what_to_check(string verb)
    {
        string[] args = [verb, "--group", "acme", "--url", "https://mrbot.example.com"];
        var port = ClosedPort();
        var settings = Settings($"http://127.0.0.1:{port}");
        using var output = new StringWriter();

        var clock = Stopwatch.StartNew();
        var exit = await CommandLine.RunAsync(args, output, output, () => settings, _ => throw new InvalidOperationException("a verb started the server"));
        clock.Stop();

        var text = output.ToString();
        Assert.True(clock.Elapsed < Bound, $"{args[0]} took {clock.Elapsed.TotalSeconds:0.0} s to report a refused connection:\n{text}");
        Assert.NotEqual(0, exit);
        Assert.Contains($"cannot reach GitLab at http://127.0.0.1:{port}/: connection refused", text, StringComparison.Ordinal);
        Assert.Contains("check GITLAB_URL", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item5_a_host_name_that_does_not_resolve_is_reported_as_such_within_3_s()
    {
        // .invalid never resolves (RFC 2606); without a resolver at all the lookup fails at once too.
        var settings = Settings("http://gitlab.mrbot-test.invalid");
        using var output = new StringWriter();

        var clock = Stopwatch.StartNew();
        var exit = await CommandLine.RunAsync(["install", "--group", "acme", "--url", "https://mrbot.example.com"], output, output, () => settings, _ => throw new InvalidOperationException());
        clock.Stop();

        var text = output.ToString();
        Assert.True(clock.Elapsed < Bound, $"install took {clock.Elapsed.TotalSeconds:0.0} s:\n{text}");
        Assert.NotEqual(0, exit);
        Assert.Contains("cannot reach GitLab at http://gitlab.mrbot-test.invalid/: the host name gitlab.mrbot-test.invalid does not resolve", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item5_the_program_reports_a_refused_connection_within_3_s_of_its_start()
    {
        // The process's own start (runtime, JIT, configuration) is measured with --version and allowed on top.
        var start = Stopwatch.StartNew();
        var (versionExit, _) = await RunProcessAsync(["--version"], "http://127.0.0.1:9");
        var startup = start.Elapsed;
        Assert.Equal(0, versionExit);

        var port = ClosedPort();
        var clock = Stopwatch.StartNew();
        var (exit, text) = await RunProcessAsync(["install", "--group", "acme", "--url", "https://mrbot.example.com"], $"http://127.0.0.1:{port}");
        clock.Stop();

        Assert.NotEqual(0, exit);
        Assert.Contains("connection refused", text, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < startup + Bound, $"install took {clock.Elapsed.TotalSeconds:0.0} s (start alone {startup.TotalSeconds:0.0} s):\n{text}");
    }

    [Theory]
    [InlineData("web/app.css:x:y")]
    [InlineData("web/app.css:30")]
    [InlineData("web/app.css:30:")]
    [InlineData("web/app.css:-1:2")]
    [InlineData("web/app.css:1:2:3x")]
    public async Task Item5_a_changed_file_with_bad_counts_is_an_error(string value)
    {
        var payload = Path.Combine(RunAsReadmeSaysTests.RepositoryRoot(), "tests", "Payloads", "merge_request.json");
        using var output = new StringWriter();

        var exit = await CommandLine.RunAsync(
            ["simulate", "--event", payload, "--config", Path.Combine(RunAsReadmeSaysTests.RepositoryRoot(), "bot.config.json"), "--changed-file", value],
            output, output, () => new ConfigurationBuilder().Build(), _ => throw new InvalidOperationException());

        var text = output.ToString();
        Assert.Equal(CommandLine.UsageError, exit);
        Assert.Contains($"--changed-file '{value}'", text, StringComparison.Ordinal);
        Assert.Contains("PATH[:ADDED:DELETED]", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Plan for merge request", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item5_simulate_with_a_missing_event_file_says_which_option_to_check()
    {
        using var output = new StringWriter();

        var exit = await CommandLine.RunAsync(
            ["simulate", "--event", _directory.File("no-such-payload.json"), "--config", Path.Combine(RunAsReadmeSaysTests.RepositoryRoot(), "bot.config.json")],
            output, output, () => new ConfigurationBuilder().Build(), _ => throw new InvalidOperationException());

        Assert.Equal(CommandLine.Invalid, exit);
        Assert.Contains("check --event", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("install")]
    [InlineData("uninstall")]
    public async Task Item5_install_and_uninstall_ask_for_a_group_Owners_token(string verb)
    {
        await using var cli = await CliHarness.StartAsync();
        var developer = cli.GitLab.AddUser("dev", "A Developer");
        cli.GitLab.AddMember(cli.Group, developer, AccessLevel.Developer);
        cli.GitLab.AddProject("acme/web");
        cli.Set(BotSettings.GitLabTokenKey, developer.Token);

        var run = verb == "install"
            ? await cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl)
            : await cli.UninstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("a group Owner's token", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("the bot user needs", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("install")]
    [InlineData("uninstall")]
    public async Task Item5_a_group_the_token_cannot_see_names_the_Owners_token(string verb)
    {
        await using var cli = await CliHarness.StartAsync();

        var run = verb == "install"
            ? await cli.InstallAsync("--group", "no/such-group", "--url", CliHarness.PublicUrl)
            : await cli.UninstallAsync("--group", "no/such-group", "--url", CliHarness.PublicUrl);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Group 'no/such-group' was not found", run.Output, StringComparison.Ordinal);
        Assert.Contains("a group Owner's token", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("make the bot user a member", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item5_every_verb_shows_an_example_in_its_help()
    {
        var root = CommandLine.Create(new CliContext(() => new ConfigurationBuilder().Build()), () => Task.FromResult(0));
        var verbs = root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
        Assert.NotEmpty(verbs);
        foreach (var verb in verbs)
        {
            using var output = new StringWriter();
            var exit = await CommandLine.RunAsync([verb, "--help"], output, output, () => new ConfigurationBuilder().Build(), _ => throw new InvalidOperationException());

            var help = output.ToString();
            Assert.True(exit == 0, $"{verb} --help exited {exit}:\n{help}");
            Assert.Matches(@"Examples?:\s*\n\s+GitLabMrBot " + verb + " ", help);
        }
    }

    public void Dispose() => _directory.Dispose();

    private static IConfiguration Settings(string gitLabUrl) => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?>
        {
            [BotSettings.GitLabUrlKey] = gitLabUrl,
            [BotSettings.GitLabTokenKey] = Token,
        })
        .Build();

    /// <summary>A loopback port nothing listens on: bound by the kernel's choice, then closed.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private async Task<(int ExitCode, string Output)> RunProcessAsync(string[] args, string gitLabUrl)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _directory.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "GitLabMrBot.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment[BotSettings.GitLabUrlKey] = gitLabUrl;
        start.Environment[BotSettings.GitLabTokenKey] = Token;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout + await stderr);
    }
}
