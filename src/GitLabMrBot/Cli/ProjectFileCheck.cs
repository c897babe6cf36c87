using GitLabMrBot.Configuration;
using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;
using GitLabMrBot.Processing.Reconciliation;

namespace GitLabMrBot.Cli;

/// <summary>
/// Doctor's "project file" check (<c>doctor --project GROUP/PROJECT</c>): the project's own policy file on its default
/// branch, read as the bot reads it and compiled against the group config, ✓ or ✗ with the first errors and the fix.
/// </summary>
internal static class ProjectFileCheck
{
    private const string Check = "project file";

    public static async Task RunAsync(
        IServiceProvider services, string projectPath, string configPath, bool tokenWorks,
        Action<string, string> pass, Action<string, string, string> fail, CancellationToken cancellationToken)
    {
        projectPath = projectPath.Trim().Trim('/');
        if (!tokenWorks)
        {
            fail(Check, $"{projectPath} not checked: GitLab must answer and accept the token first", "fix the checks above, then run doctor again");
            return;
        }
        var loaded = PolicyConfigLoader.LoadFile(configPath);
        if (!loaded.IsValid)
        {
            fail(Check, $"{projectPath} not checked: the group config is invalid", "fix the config check above, then run doctor again");
            return;
        }
        var group = loaded.Config;
        var gitlab = services.GetRequiredService<GitLabClient>();
        try
        {
            if (await gitlab.FindProjectAsync(projectPath, cancellationToken) is not { } project)
            {
                fail(Check, $"no project {projectPath} that the token can see", "give the project's full path (group/project), and make the bot user a member of it");
                return;
            }
            foreach (var path in ProjectConfigs.LookupOrder)
            {
                if (await gitlab.GetRepositoryFileAsync(project.Id, path, "HEAD", cancellationToken) is not { } file)
                {
                    continue;
                }
                var source = $"{projectPath}:{path}";
                if (!group.Projects.Enabled)
                {
                    fail(Check, $"{source} exists but {configPath} has no \"projects\" section, so the bot ignores it",
                        $"add e.g. \"projects\": {{ \"allow\": [\"policies\"] }} to {configPath}, or delete {path} from the project");
                    return;
                }
                var result = ProjectConfigCompiler.Compile(group, Convert.FromBase64String(file.Content ?? ""), source);
                if (result.Effective is { } effective)
                {
                    var own = effective.Policies.Count(p => p.Origin == PolicyOrigin.Project);
                    pass(Check, $"{source} is valid: {effective.Policies.Count} policies ({own} from the project)");
                    return;
                }
                fail(Check, $"{source} is invalid ({result.Errors.Count} errors; the bot keeps the last valid version or the group's policies): {string.Join("; ", result.Errors.Take(5))}",
                    $"correct {path} on the default branch; `GitLabMrBot validate --group {configPath} --project {path}` in a checkout lists every error with its line");
                return;
            }
            pass(Check, $"{projectPath} has no {string.Join(" or ", ProjectConfigs.LookupOrder)}: the group's policies apply");
        }
        catch (GitLabApiException e)
        {
            fail(Check, $"{projectPath} could not be read: {e.Message}", "check that the bot user can read the project's repository (Reporter or above)");
        }
    }
}
