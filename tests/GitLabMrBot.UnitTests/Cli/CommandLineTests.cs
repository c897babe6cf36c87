using GitLabMrBot.Cli;

namespace GitLabMrBot.UnitTests.Cli;

public sealed class CommandLineTests
{
    [Theory]
    [InlineData(new string[0], true)]
    [InlineData(new[] { "serve" }, true)]
    [InlineData(new[] { "--urls", "http://127.0.0.1:8080" }, true)]
    [InlineData(new[] { "validate" }, false)]
    [InlineData(new[] { "--help" }, false)]
    [InlineData(new[] { "help" }, false)]
    [InlineData(new[] { "valdate" }, false)]
    public void Only_no_verb_serve_or_options_start_the_server(string[] args, bool serve) =>
        Assert.Equal(serve, CommandLine.IsServe(args));

    [Fact]
    public async Task Help_lists_every_verb_and_exits_0()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await CommandLine.RunAsync(["--help"], output, error, _ => null);

        Assert.Equal(0, exit);
        foreach (var verb in new[] { "serve", "validate", "simulate", "install", "uninstall", "doctor" })
        {
            Assert.Contains(verb, output.ToString());
        }
    }

    [Fact]
    public async Task An_unknown_command_is_a_usage_error_that_names_it()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await CommandLine.RunAsync(["valdate"], output, error, _ => null);

        Assert.Equal(CommandLine.UsageError, exit);
        Assert.Contains("unknown command 'valdate'", error.ToString());
        Assert.Contains("usage:", error.ToString());
    }
}
