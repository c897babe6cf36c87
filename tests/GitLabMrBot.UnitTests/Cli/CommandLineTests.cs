using GitLabMrBot.Cli;
using GitLabMrBot.Configuration;
using Microsoft.Extensions.Configuration;

namespace GitLabMrBot.UnitTests.Cli;

public sealed class CommandLineTests
{
    private static readonly string[] Verbs = ["serve", "validate", "simulate", "install", "uninstall", "doctor"];

    [Theory]
    [InlineData(new string[0], new string[0])]
    [InlineData(new[] { "serve" }, new string[0])]
    [InlineData(new[] { "serve", "--urls", "http://127.0.0.1:8080" }, new[] { "--urls", "http://127.0.0.1:8080" })]
    [InlineData(new[] { "--urls", "http://127.0.0.1:8080" }, new[] { "--urls", "http://127.0.0.1:8080" })]
    [InlineData(new[] { "--config=c.json", "--Inbox:Concurrency", "0", "--environment", "Development" }, new[] { "--config=c.json", "--Inbox:Concurrency", "0", "--environment", "Development" })]
    public async Task No_verb_serve_or_only_options_start_the_server_with_every_option_for_the_host(string[] args, string[] hostArguments)
    {
        var run = await RunAsync(args);

        Assert.Equal(0, run.Exit);
        Assert.Equal(hostArguments, Assert.Single(run.Served));
        Assert.Empty(run.Error);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    [InlineData("--version")]
    [InlineData("serve", "--help")]
    [InlineData("--urls", "http://127.0.0.1:8080", "--help")]
    [InlineData("install", "--help")]
    [InlineData("valdate")]
    [InlineData("valdate", "--urls", "http://127.0.0.1:8080")]
    [InlineData("--urls")]
    public async Task Help_and_wrong_command_lines_never_start_the_server(params string[] args)
    {
        var run = await RunAsync(args);

        Assert.Empty(run.Served);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("help")]
    public async Task Help_lists_every_verb_and_exits_0(string help)
    {
        var run = await RunAsync(help);

        Assert.Equal(0, run.Exit);
        foreach (var verb in Verbs)
        {
            Assert.Contains($"\n  {verb} ", run.Output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("serve", "--urls", "--config", "--database")]
    [InlineData("validate", "--config")]
    [InlineData("simulate", "--event", "--changed-file", "--author", "--config")]
    [InlineData("install", "--group", "--url", "--secret", "--dry-run", "--config", "--database")]
    [InlineData("uninstall", "--group", "--url", "--dry-run", "--config", "--database")]
    [InlineData("doctor", "--group", "--url", "--config", "--database")]
    public async Task Each_verbs_help_shows_its_options_and_an_example(string verb, params string[] options)
    {
        foreach (var help in new[] { new[] { verb, "--help" }, new[] { "help", verb } })
        {
            var run = await RunAsync(help);

            Assert.Equal(0, run.Exit);
            Assert.Contains("Example:", run.Output, StringComparison.Ordinal);
            Assert.Contains($"GitLabMrBot {verb} --", run.Output, StringComparison.Ordinal);
            foreach (var option in options)
            {
                Assert.Contains($"  {option} ", run.Output, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task An_unknown_command_is_a_usage_error_that_names_it()
    {
        var run = await RunAsync("valdate");

        Assert.Equal(CommandLine.UsageError, run.Exit);
        Assert.Contains("unknown command 'valdate'", run.Error, StringComparison.Ordinal);
        Assert.Contains("usage:", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Output);
    }

    [Fact]
    public async Task An_option_a_verb_does_not_declare_is_unknown_to_it()
    {
        var run = await RunAsync("validate", "--dry-run");

        Assert.Equal(CommandLine.UsageError, run.Exit);
        Assert.Contains("validate: unknown option '--dry-run'", run.Error, StringComparison.Ordinal);
        Assert.Contains("usage: validate [--config <PATH>]", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_missing_required_option_is_named_in_one_line()
    {
        var run = await RunAsync("install", "--dry-run");

        Assert.Equal(CommandLine.UsageError, run.Exit);
        Assert.Contains("install: --group and --url are required.", run.Error, StringComparison.Ordinal);
        Assert.Contains("usage: install --group <group> --url <url> [--secret <secret>] [--dry-run]", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Flags_take_no_value_values_are_read_in_both_forms_and_switches_set_their_setting()
    {
        var environment = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [BotSettings.ConfigPathKey] = "from-environment.json", [BotSettings.GitLabTokenKey] = "t" })
            .Build();
        var context = new CliContext(() => environment);

        var result = CommandLine.Create(context, () => Task.FromResult(0))
            .Parse(["install", "--dry-run", "--group", "acme/a", "--url=https://x.example.com", "--config", "c.json"]);

        Assert.Empty(result.Errors);
        Assert.Empty(result.UnmatchedTokens);
        Assert.True(result.GetValue<bool>("--dry-run"));
        Assert.Equal("acme/a", result.GetValue<string>("--group"));
        Assert.Equal("https://x.example.com", result.GetValue<string>("--url"));
        var settings = context.Settings(result);
        Assert.Equal("c.json", settings[BotSettings.ConfigPathKey]);
        Assert.Equal("t", settings[BotSettings.GitLabTokenKey]);
    }

    [Fact]
    public void Serve_hands_its_setting_switches_to_the_host_as_settings()
    {
        var mappings = SettingOption.SwitchMappings;

        Assert.Equal(BotSettings.ConfigPathKey, mappings["--config"]);
        Assert.Equal(BotSettings.DatabaseKey, mappings["--database"]);
    }

    private sealed record Run(int Exit, string Output, string Error, IReadOnlyList<string[]> Served);

    private static async Task<Run> RunAsync(params string[] args)
    {
        var served = new List<string[]>();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await CommandLine.RunAsync(args, output, error, _ => null, hostArguments =>
        {
            served.Add(hostArguments);
            return Task.FromResult(0);
        });

        return new Run(exit, output.ToString(), error.ToString(), served);
    }
}
