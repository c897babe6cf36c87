namespace GitLabMrBot.Cli;

/// <summary>The verbs of PRODUCT.md §6. <c>serve</c> (the default) runs the host; the others are short tasks.</summary>
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

    public static bool IsServe(string[] args) => args.Length == 0 || !Verbs.Contains(args[0]) || args[0] == "serve";

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
        // Unreachable while every verb of Verbs has its case above.
        await error.WriteLineAsync($"'{args[0]}' is not available yet. Verbs: serve, validate, simulate, install, uninstall, doctor.");
        return UsageError;
    }
}
