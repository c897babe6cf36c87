using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using GitLabMrBot.Configuration;

namespace GitLabMrBot.Cli;

/// <summary>
/// The verbs of docs/contract.md §6 on System.CommandLine. Each verb declares its description (with an example)
/// and options once, in its class, and the library renders <c>--help</c> from them. <c>serve</c> is the default:
/// no verb, or only options (<c>--urls …</c>), runs the host; <c>--help</c> and an unknown verb never do.
/// </summary>
public static class CommandLine
{
    /// <summary>Exit code of a verb whose input (config, event file) is invalid, or whose task failed.</summary>
    public const int Invalid = 1;

    /// <summary>Exit code of a verb called with wrong arguments.</summary>
    public const int UsageError = 2;

    public const string ProgramName = "GitLabMrBot";

    private const string Description = $"""
        A merge request bot for GitLab: it receives GitLab's webhooks and labels, assigns, requests reviewers and
        comments as bot.config.json says. Without a command it serves (see `{ProgramName} serve --help`).

        Settings: GITLAB_URL, GITLAB_TOKEN, GITLAB_WEBHOOK_SECRET (environment variables or any .NET configuration
        source; see README.md).

        Example:
          {ProgramName} --urls http://0.0.0.0:8080
        """;

    /// <summary>
    /// Runs one command line: <paramref name="serve"/> gets the host's arguments (those after the verb); the other
    /// verbs read their settings from the host's configuration sources and write to the console.
    /// </summary>
    public static Task<int> RunAsync(string[] args, Func<string[], Task<int>> serve) =>
        RunAsync(args, Console.Out, Console.Error, BotApplication.ReadConfiguration, serve);

    /// <summary>For tests: the verbs read their settings from <paramref name="environment"/> alone.</summary>
    internal static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Func<string, string?> environment, Func<string[], Task<int>>? serve = null) =>
        RunAsync(args, output, error, () => Settings(environment), serve ?? NoServer);

    internal static async Task<int> RunAsync(
        string[] args, TextWriter output, TextWriter error, Func<IConfiguration> settings, Func<string[], Task<int>> serve, CancellationToken cancellationToken = default)
    {
        var root = Create(new CliContext(settings), () => serve(HostArguments(args)));
        // An argument starting with @ is the host's to read, not a response file.
        var result = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var command = result.CommandResult.Command;
        var invocation = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            // Exceptions end the process as they always have; the library would print them and exit 1.
            EnableDefaultExceptionHandler = false,
            // The host has its own graceful shutdown on SIGINT/SIGTERM; the library would cut it short after 2 s.
            ProcessTerminationTimeout = IsServe(command) ? null : TimeSpan.FromSeconds(2),
        };

        if (result.Errors.Count == 0 && result.Action != command.Action)
        {
            return await result.InvokeAsync(invocation, cancellationToken); // --help, --version
        }
        var problems = Problems(result, args);
        return problems.Count > 0
            ? await RefuseAsync(command, problems, error)
            : await result.InvokeAsync(invocation, cancellationToken);
    }

    /// <summary>The command tree: serve (also the root's own action), the short verbs, and a hidden <c>help</c>.</summary>
    internal static RootCommand Create(CliContext context, Func<Task<int>> serve)
    {
        var root = new RootCommand(Description)
        {
            ServeCommand.Create(serve),
            ValidateCommand.Create(context),
            SimulateCommand.Create(context),
            InstallCommand.Create(context),
            UninstallCommand.Create(context),
            DoctorCommand.Create(context),
            DeliveriesCommand.Create(context),
            ExplainCommand.Create(context),
            PlanCommand.Create(context),
            Demo.DemoCommand.Create(context),
        };
        ServeCommand.Configure(root, serve);

        // `GitLabMrBot help [verb]` as people type it: the same text as --help.
        var verb = new Argument<string[]>("verb") { Arity = ArgumentArity.ZeroOrMore };
        var help = new Command("help") { Hidden = true };
        help.Arguments.Add(verb);
        help.SetAction((result, cancellationToken) =>
            root.Parse([.. result.GetValue(verb) ?? [], "--help"]).InvokeAsync(result.InvocationConfiguration, cancellationToken));
        root.Subcommands.Add(help);
        return root;
    }

    /// <summary>The arguments without the verb, for the host's configuration.</summary>
    public static string[] HostArguments(string[] args) =>
        args is [ServeCommand.Name, .. var rest] ? rest : args;

    /// <summary>One line of usage from the declared options, labelled as --help labels them: <c>install --group &lt;group&gt; … [--dry-run]</c>.</summary>
    internal static string Synopsis(Command command)
    {
        if (command is RootCommand)
        {
            return $"{ProgramName} [{string.Join('|', command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}] [options]";
        }
        var options = command.Options.Where(o => o is not HelpOption && !o.Hidden).Select(o =>
        {
            var usage = o.ValueType == typeof(bool) ? o.Name : $"{o.Name} <{o.HelpName ?? o.Name.TrimStart('-')}>";
            return o.Required ? usage : o.ValueType.IsArray ? $"[{usage}]..." : $"[{usage}]";
        });
        return string.Join(' ', [command.Name, .. options]);
    }

    private static bool IsServe(Command command) => command is RootCommand || command.Name == ServeCommand.Name;

    private static Task<int> NoServer(string[] hostArguments) =>
        throw new InvalidOperationException("this command line runs no server");

    /// <summary>
    /// Everything wrong with the command line, worded as the verbs always said it: "unknown option '--x'",
    /// "--group is required", "unknown command 'x'". serve passes options it does not know to the host.
    /// </summary>
    private static List<string> Problems(ParseResult result, string[] args)
    {
        var command = result.CommandResult.Command;
        var problems = new List<string>();
        if (command is RootCommand && args is [var first, ..] && !first.StartsWith('-'))
        {
            // A typo of a verb must not start a server.
            problems.Add($"unknown command '{first}'");
            return problems;
        }
        if (!IsServe(command))
        {
            // The first is enough: what follows an unknown option is most likely its value.
            if (result.UnmatchedTokens is [var unknown, ..])
            {
                problems.Add(unknown.StartsWith('-') ? $"unknown option '{unknown}'" : $"unexpected argument '{unknown}'");
            }
        }

        // A required option left out: named with its value's name when it has one ("--event FILE is required").
        var missing = command.Options.Where(o => o.Required && result.GetResult(o) is null or { Implicit: true }).ToList();
        problems.AddRange(result.Errors
            .Where(e => e.SymbolResult is not OptionResult { Implicit: true } option || !missing.Contains(option.Option))
            .Select(e => e.Message));
        if (missing.Count > 0)
        {
            var names = missing.Select(o => o.HelpName is null || o.ValueType == typeof(bool) ? o.Name : $"{o.Name} {o.HelpName}");
            problems.Add($"{string.Join(" and ", names)} {(missing.Count == 1 ? "is" : "are")} required");
        }
        return problems;
    }

    private static async Task<int> RefuseAsync(Command command, List<string> problems, TextWriter error)
    {
        var name = command is RootCommand ? ProgramName : command.Name;
        foreach (var problem in problems)
        {
            await error.WriteLineAsync($"{name}: {problem.TrimEnd('.')}.");
        }
        await error.WriteLineAsync($"usage: {Synopsis(command)}");
        await error.WriteLineAsync($"{(command is RootCommand ? ProgramName : $"{ProgramName} {command.Name}")} --help describes every option.");
        return UsageError;
    }

    /// <summary>The settings the verbs read, by name, from a lookup such as the process environment.</summary>
    private static IConfiguration Settings(Func<string, string?> environment) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(CliContext.SettingNames.Select(name => new KeyValuePair<string, string?>(name, environment(name))))
            .Build();
}

/// <summary>What a verb's action reads besides its own options.</summary>
internal sealed class CliContext(Func<IConfiguration> settings)
{
    /// <summary>The settings the verbs read by name (the GitLab client's options are read as a section).</summary>
    public static readonly string[] SettingNames =
    [
        BotSettings.GitLabUrlKey, BotSettings.GitLabTokenKey, BotSettings.WebhookSecretKey,
        BotSettings.SigningTokenKey, BotSettings.ConfigPathKey, BotSettings.DatabaseKey,
        CliGitLab.PublicUrlKey, CliGitLab.GroupKey,
    ];

    /// <summary>The settings, with this command line's switches (<c>--config</c>, <c>--database</c>) on top.</summary>
    public IConfiguration Settings(ParseResult result) => SettingOption.Apply(result, settings());
}
