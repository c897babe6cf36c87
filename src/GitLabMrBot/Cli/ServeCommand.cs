using System.CommandLine;

namespace GitLabMrBot.Cli;

/// <summary>
/// <c>serve</c> (the default verb): the webhook server and worker. Its options are declared for help and for
/// checking; the host reads the same arguments itself, so ASP.NET Core's own (<c>--urls</c>, <c>--environment</c>,
/// any <c>--Section:Key value</c>) pass through.
/// </summary>
internal static class ServeCommand
{
    public const string Name = "serve";

    private const string Description = $"""
        Run the webhook server and worker (the default when no command is given). It needs GITLAB_URL, GITLAB_TOKEN
        and GITLAB_WEBHOOK_SECRET, and names every one that is missing. Options it does not know go to ASP.NET Core.

        Example:
          {CommandLine.ProgramName} serve --urls http://0.0.0.0:8080 --config bot.config.json
        """;

    public static Command Create(Func<Task<int>> serve)
    {
        var command = new Command(Name, Description);
        Configure(command, serve);
        return command;
    }

    /// <summary>Gives <paramref name="command"/> serve's options and action (the root command serves too).</summary>
    public static void Configure(Command command, Func<Task<int>> serve)
    {
        command.Options.Add(new Option<string>("--urls")
        {
            Description = "The addresses to listen on, separated by ';' [default: $ASPNETCORE_URLS or http://localhost:5000]",
            HelpName = "URLS",
        });
        command.Options.Add(SettingOption.Config());
        command.Options.Add(SettingOption.Database());
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(_ => serve());
    }
}
