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

    public static async Task<int> RunAsync(string[] args)
    {
        switch (args[0])
        {
            case "install": return await InstallCommand.RunAsync(args[1..], Console.Out, BotApplication.ReadConfiguration(args));
            case "uninstall": return await UninstallCommand.RunAsync(args[1..], Console.Out, BotApplication.ReadConfiguration(args));
            case "doctor": return await DoctorCommand.RunAsync(args[1..], Console.Out, BotApplication.ReadConfiguration(args));
        }
        // Filled in by the issues that bring each verb.
        await Console.Error.WriteLineAsync($"'{args[0]}' is not available yet. Verbs: serve.");
        return 2;
    }
}
