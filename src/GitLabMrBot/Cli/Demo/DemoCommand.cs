using System.CommandLine;

namespace GitLabMrBot.Cli.Demo;

/// <summary>
/// <c>demo [--keep] [--verbose] [--port N] [--gitlab-port N] [--config PATH]</c>: the bot at work on a simulated GitLab,
/// nothing but the SDK needed. Only its action touches the simulation's types (through <see cref="DemoRun"/>), so
/// building the command tree for another verb never loads that assembly.
/// </summary>
internal static class DemoCommand
{
    public const string Name = "demo";

    private const string Description = $"""
        Show the bot at work without a GitLab: starts a simulated GitLab and the bot on 127.0.0.1, with the policy file
        (bot.config.json), opens a few merge requests (a front-end change, a docs-only change, a hotfix, one owned
        through CODEOWNERS, one that conflicts), and prints what the bot did to each. Exits 1 when that is not what
        the policy file says. Nothing leaves the machine; everything is gone afterwards.

        Example:
          {CommandLine.ProgramName} demo --keep --port 5080 --gitlab-port 5081
        """;

    public static Command Create(CliContext context)
    {
        var keep = new Option<bool>("--keep") { Description = "Stay up until Ctrl+C and print the URLs of the merge requests and of the bot's status page" };
        var verbose = new Option<bool>("--verbose") { Description = "Show the bot's log from Information up [default: warnings and errors only]" };
        var port = Port("--port", "The bot's port on 127.0.0.1 [default: a free one]");
        var gitLabPort = Port("--gitlab-port", "The simulated GitLab's port on 127.0.0.1 [default: a free one]");
        var command = new Command(Name, Description) { keep, verbose, port, gitLabPort, SettingOption.Config() };
        command.SetAction((result, cancellationToken) => DemoRun.RunAsync(
            new DemoOptions(ValidateCommand.ConfigPath(context.Settings(result)), result.GetValue(keep), result.GetValue(verbose), result.GetValue(port), result.GetValue(gitLabPort)),
            result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    private static Option<int?> Port(string name, string description)
    {
        var option = new Option<int?>(name) { Description = description, HelpName = "PORT" };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is { } value && value is < 1 or > 65535)
            {
                result.AddError($"{name} must be a port number from 1 to 65535 (it is {value})");
            }
        });
        return option;
    }
}
