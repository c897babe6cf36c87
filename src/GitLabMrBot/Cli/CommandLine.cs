using GitLabMrBot.Configuration;

namespace GitLabMrBot.Cli;

/// <summary>The verbs of docs/contract.md §6. <c>serve</c> (the default) runs the host; the others are short tasks.</summary>
public static class CommandLine
{
    /// <summary>Switches that set a setting: <c>--config PATH</c> is <c>MRBOT_CONFIG</c>.</summary>
    public static Dictionary<string, string> SwitchMappings => new(StringComparer.Ordinal)
    {
        ["--config"] = BotSettings.ConfigPathKey,
        ["--database"] = BotSettings.DatabaseKey,
    };

    private static readonly HashSet<string> Verbs = new(StringComparer.Ordinal)
    {
        "serve", "validate", "simulate", "install", "uninstall", "doctor",
    };

    private static readonly HashSet<string> HelpWords = new(StringComparer.Ordinal) { "help", "--help", "-h", "-?" };

    public const string Usage = """
        usage: GitLabMrBot [VERB] [options]
          serve (default)            run the webhook server and worker (--urls, --config PATH, --database DB)
          validate [--config PATH]   check bot.config.json; every error with its path and line
          simulate --event FILE [--changed-file PATH[:ADDED:DELETED]]... [--author NAME] [--config PATH]
                                     print the plan for one webhook payload, with reasons; no network
          install --group PATH --url PUBLIC_URL [--secret S] [--dry-run]
                                     create or update the group webhook (project webhooks on GitLab Free)
          uninstall --group PATH --url PUBLIC_URL
                                     remove exactly those webhooks
          doctor [--group PATH] [--url PUBLIC_URL]
                                     check GitLab, token, config, store and webhook; non-zero on any failure
        settings: GITLAB_URL, GITLAB_TOKEN, GITLAB_WEBHOOK_SECRET (see README.md)
        """;

    /// <summary>
    /// True when the arguments mean the server: none, <c>serve</c>, or only options (<c>--urls …</c>).
    /// A help word or an unknown verb is not the server: a typo must not start one.
    /// </summary>
    public static bool IsServe(string[] args) =>
        args.Length == 0 || args[0] == "serve" || (args[0].StartsWith('-') && !HelpWords.Contains(args[0]));

    /// <summary>The arguments without the verb, for the host's configuration.</summary>
    public static string[] HostArguments(string[] args) =>
        args.Length > 0 && Verbs.Contains(args[0]) ? args[1..] : args;

    /// <summary>Exit code of a verb whose input (config, event file) is invalid.</summary>
    public const int Invalid = 1;

    /// <summary>Exit code of a verb called with wrong arguments.</summary>
    public const int UsageError = 2;

    public static Task<int> RunAsync(string[] args) =>
        RunAsync(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable);

    internal static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Func<string, string?> environment)
    {
        if (HelpWords.Contains(args[0]))
        {
            await output.WriteLineAsync(Usage);
            return 0;
        }
        switch (args[0])
        {
            case "validate":
                return await ValidateCommand.RunAsync(args[1..], output, error, environment);
            case "simulate":
                return await SimulateCommand.RunAsync(args[1..], output, error, environment);
            case "install":
                return await InstallCommand.RunAsync(args[1..], output, BotApplication.ReadConfiguration(args));
            case "uninstall":
                return await UninstallCommand.RunAsync(args[1..], output, BotApplication.ReadConfiguration(args));
            case "doctor":
                return await DoctorCommand.RunAsync(args[1..], output, BotApplication.ReadConfiguration(args));
        }
        await error.WriteLineAsync($"GitLabMrBot: unknown command '{args[0]}'.");
        await error.WriteLineAsync(Usage);
        return UsageError;
    }
}
