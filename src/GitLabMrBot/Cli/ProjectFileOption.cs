using System.CommandLine;
using System.Text.Json;
using GitLabMrBot.Configuration;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Config;

namespace GitLabMrBot.Cli;

/// <summary>A project's own policy file given on the command line (<c>validate --project</c>, <c>simulate --project-config</c>), merged into the group config.</summary>
internal static class ProjectFileOption
{
    public static Option<string> Create(string name) => new(name)
    {
        Description = "A project's own policy file (.gitlab/mrbot.json), checked against and merged into the group config",
        HelpName = "PATH",
    };

    /// <summary>The effective config of <paramref name="group"/> with the project file; null (errors written) when the file is unreadable or invalid.</summary>
    public static async Task<(CompiledConfig Effective, ProjectFileStatus Status)?> LoadAsync(CompiledConfig group, string path, string groupPath, TextWriter error)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"project file {path} cannot be read: {e.Message}");
            return null;
        }
        if (!group.Projects.Enabled)
        {
            await error.WriteLineAsync($"{groupPath} has no \"projects\" section, so the bot reads no project file: add one, e.g. \"projects\": {{ \"allow\": [\"policies\"] }}");
            return null;
        }
        var result = ProjectConfigCompiler.Compile(group, bytes, path);
        if (result.Effective is not { } effective)
        {
            await error.WriteAsync(new ConfigLoadResult(null, result.Errors).Describe(path));
            return null;
        }
        var projectPolicies = effective.Policies.Where(p => p.Origin == PolicyOrigin.Project).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        return (effective, new ProjectFileStatus(Path.GetFileName(path), projectPolicies, [], false));
    }

    /// <summary>The effective config as text: each policy with its source, then the merged file as JSON.</summary>
    public static string Describe(CompiledConfig effective)
    {
        var text = new System.Text.StringBuilder();
        text.Append("Effective config:\n");
        foreach (var policy in effective.Policies)
        {
            text.Append("  ").Append(policy.Origin == PolicyOrigin.Project ? "project" : "group").Append(" policy ").Append(policy.Name).Append('\n');
        }
        text.Append(JsonSerializer.Serialize(effective.Source, BotConfigJsonContext.Default.BotConfig)).Append('\n');
        return text.ToString();
    }
}
