using GitLabMrBot.GitLab;

namespace GitLabMrBot.Cli;

/// <summary>One place hooks can live (the group, or one project) and what GitLab said when asked for them.</summary>
internal sealed record HookTarget(HookOwner Owner, IReadOnlyList<GitLabHook> Hooks, GitLabApiException? Error);

/// <summary>
/// Where a group's webhooks live: on the group when GitLab offers group hooks (Premium), else on every project
/// of the group and its subgroups (Free). Shared by install, uninstall and doctor so they always agree.
/// </summary>
internal sealed record HookDiscovery(GitLabGroup Group, bool OnGroup, string? UnavailableReason, IReadOnlyList<HookTarget> Targets)
{
    public static async Task<HookDiscovery> DiscoverAsync(IHookAdmin gitlab, GitLabGroup group, CancellationToken cancellationToken)
    {
        var owner = HookOwner.Group(group);
        try
        {
            var hooks = await gitlab.GetHooksAsync(owner, cancellationToken);
            return new HookDiscovery(group, true, null, [new HookTarget(owner, hooks, null)]);
        }
        catch (GitLabApiException e) when (BotWebhook.GroupHooksUnavailable(e))
        {
            var reason = $"GitLab answered {(int)e.StatusCode!} to GET /api/v4{owner.HooksPath}: group webhooks need GitLab Premium or Ultimate, and the Owner role on the group";
            var projects = await gitlab.GetGroupProjectsAsync(group.Id, includeSubgroups: true, cancellationToken);
            var targets = new List<HookTarget>();
            foreach (var project in projects.OrderBy(p => p.PathWithNamespace, StringComparer.Ordinal))
            {
                var projectOwner = HookOwner.Project(project);
                try
                {
                    targets.Add(new HookTarget(projectOwner, await gitlab.GetHooksAsync(projectOwner, cancellationToken), null));
                }
                catch (GitLabApiException pe) when (pe.StatusCode is not null)
                {
                    // One project we may not administer must not hide the others: report it and go on.
                    targets.Add(new HookTarget(projectOwner, [], pe));
                }
            }
            return new HookDiscovery(group, false, reason, targets);
        }
    }

    /// <summary>Finds the group (for install and uninstall) or writes why not; null means exit with <see cref="CliExit.Failed"/>.</summary>
    public static async Task<GitLabGroup?> FindGroupAsync(IHookAdmin gitlab, string path, TextWriter output, CancellationToken cancellationToken)
    {
        var group = await gitlab.FindGroupAsync(path, cancellationToken);
        if (group is null)
        {
            output.WriteLine($"✗ Group '{path}' was not found, or the token's user cannot see it.");
            output.WriteLine($"  fix: pass the group's full path (e.g. acme/platform); {CliGitLab.OwnerTokenNeeded}.");
        }
        return group;
    }
}
