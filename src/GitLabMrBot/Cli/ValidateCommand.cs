using System.CommandLine;
using GitLabMrBot.Configuration;

namespace GitLabMrBot.Cli;

/// <summary><c>validate [--config PATH]</c>: exit 0 when the config is valid, else 1 and every error with its path and line.</summary>
internal static class ValidateCommand
{
    private const string Description = $"""
        Check the policy config: exit 0 when it is valid, else 1 and every error with its JSON path and line.

        Example:
          {CommandLine.ProgramName} validate --config bot.config.json
          {CommandLine.ProgramName} validate --group bot.config.json --project .gitlab/mrbot.json
        """;

    public static Command Create(CliContext context)
    {
        // --group names the same file as --config, in the words of a check of a project file against its group's.
        var group = new Option<string>("--group") { Description = "The group's bot.config.json (the same as --config)", HelpName = "PATH" };
        var project = ProjectFileOption.Create("--project");
        var command = new Command("validate", Description) { SettingOption.Config(), group, project };
        command.SetAction(result => RunAsync(
            result.GetValue(group) ?? ConfigPath(context.Settings(result)), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, result.GetValue(project)));
        return command;
    }

    public static async Task<int> RunAsync(string path, TextWriter output, TextWriter error, string? projectPath = null)
    {
        var result = PolicyConfigLoader.LoadFile(path);
        if (!result.IsValid)
        {
            await error.WriteAsync(result.Describe(path));
            return CommandLine.Invalid;
        }
        var config = result.Config;
        if (projectPath is not null)
        {
            if (await ProjectFileOption.LoadAsync(config, projectPath, path, error) is not { } merged)
            {
                return CommandLine.Invalid;
            }
            config = merged.Effective;
            path = $"{path} + {projectPath}";
        }
        await output.WriteLineAsync(
            $"{path} is valid: {config.Policies.Count} {(config.Policies.Count == 1 ? "policy" : "policies")}, " +
            $"{config.LabelColors.Count} label colours, size labels {(config.SizeLabels is null ? "off" : "on")}, " +
            $"summary comment {(config.SummaryComment ? "on" : "off")}{(config.DryRun ? ", dry run" : "")}.");
        if (projectPath is not null)
        {
            await output.WriteAsync(ProjectFileOption.Describe(config));
        }
        return 0;
    }

    /// <summary>MRBOT_CONFIG (or <c>--config</c>), else bot.config.json: the file serve would load.</summary>
    public static string ConfigPath(IConfiguration settings) =>
        string.IsNullOrWhiteSpace(settings[BotSettings.ConfigPathKey]) ? "bot.config.json" : settings[BotSettings.ConfigPathKey]!.Trim();
}
