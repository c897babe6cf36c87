using GitLabMrBot.Configuration;
using GitLabMrBot.Policies;

namespace GitLabMrBot.Cli;

/// <summary><c>validate [--config PATH]</c>: exit 0 when the config is valid, else 1 and every error with its path and line.</summary>
internal static class ValidateCommand
{
    public const string Usage = "usage: validate [--config PATH]   (default: $MRBOT_CONFIG or bot.config.json)";

    private static readonly HashSet<string> Options = new(StringComparer.Ordinal) { "--config" };

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, Func<string, string?> environment)
    {
        var parsed = CliArguments.Parse(args, Options, out var problem);
        if (parsed is null || parsed.Help)
        {
            await (parsed is null ? error : output).WriteLineAsync(parsed is null ? $"validate: {problem}\n{Usage}" : Usage);
            return parsed is null ? CommandLine.UsageError : 0;
        }
        var path = parsed["--config"] ?? ConfigPath(environment);
        var result = PolicyConfigLoader.LoadFile(path);
        if (!result.IsValid)
        {
            await error.WriteAsync(result.Describe(path));
            return CommandLine.Invalid;
        }
        var config = result.Config;
        await output.WriteLineAsync(
            $"{path} is valid: {config.Policies.Count} {(config.Policies.Count == 1 ? "policy" : "policies")}, " +
            $"{config.LabelColors.Count} label colours, size labels {(config.SizeLabels is null ? "off" : "on")}, " +
            $"summary comment {(config.SummaryComment ? "on" : "off")}{(config.DryRun ? ", dry run" : "")}.");
        return 0;
    }

    public static string ConfigPath(Func<string, string?> environment) =>
        string.IsNullOrWhiteSpace(environment(BotSettings.ConfigPathKey)) ? "bot.config.json" : environment(BotSettings.ConfigPathKey)!.Trim();
}
