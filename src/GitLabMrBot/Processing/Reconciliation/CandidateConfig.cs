using System.Text.Json;
using GitLabMrBot.Configuration;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Config;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>
/// The effective config a project file would give its project: the group's config merged with the file, or the file's
/// errors with their JSON paths and 1-based lines. The one place the preview compiles a candidate file.
/// </summary>
public static class CandidateConfig
{
    /// <summary>Where a project keeps its file, in the order they are looked for.</summary>
    public static readonly IReadOnlyList<string> ProjectFilePaths = [".gitlab/mrbot.json", ".mrbot.json"];

    /// <summary>The group's config with the project file's policies after its own and its label colours added.</summary>
    public static (CompiledConfig? Effective, IReadOnlyList<ConfigError> Errors) Compile(CompiledConfig group, ReadOnlyMemory<byte> projectFile, string sourceName)
    {
        // The file is checked on its own first, so its errors carry its own lines.
        var own = PolicyConfigLoader.Load(projectFile, sourceName, limits: group.Limits);
        if (!own.IsValid)
        {
            return (null, own.Errors);
        }
        var project = own.Config.Source;
        var merged = group.Source with
        {
            Policies = [.. group.Source.Policies ?? [], .. project.Policies ?? []],
            Labels = (group.Source.Labels ?? new Dictionary<string, string>()).Concat(project.Labels ?? new Dictionary<string, string>())
                .GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal),
        };
        var result = PolicyConfigLoader.Load(JsonSerializer.SerializeToUtf8Bytes(merged, BotConfigJsonContext.Default.BotConfig), sourceName, limits: group.Limits);
        return (result.Config, result.Errors);
    }
}
