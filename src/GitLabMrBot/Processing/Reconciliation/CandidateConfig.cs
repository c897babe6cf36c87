using GitLabMrBot.Configuration;
using GitLabMrBot.Policies;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>
/// The effective config a project file would give its project: the group's config merged with the file by
/// <see cref="ProjectConfigCompiler"/> (within what the group allows), or the file's errors with their JSON paths and
/// 1-based lines. The one place the preview compiles a candidate file.
/// </summary>
public static class CandidateConfig
{
    /// <summary>Where a project keeps its file, in the order the runtime looks for them.</summary>
    public static IReadOnlyList<string> ProjectFilePaths => ProjectConfigs.LookupOrder;

    public static (CompiledConfig? Effective, IReadOnlyList<ConfigError> Errors) Compile(CompiledConfig group, ReadOnlyMemory<byte> projectFile, string sourceName)
    {
        var result = ProjectConfigCompiler.Compile(group, projectFile, sourceName);
        return (result.Effective, result.Errors);
    }
}
