using System.Net;

namespace GitLabMrBot.GitLab;

/// <summary>Whose webhook: a group's (one hook for every project below it) or one project's.</summary>
public sealed record HookOwner(HookOwnerKind Kind, long Id, string Path)
{
    public static HookOwner Group(GitLabGroup group) => new(HookOwnerKind.Group, group.Id, group.FullPath);

    public static HookOwner Project(GitLabProject project) => new(HookOwnerKind.Project, project.Id, project.PathWithNamespace ?? project.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The API path of its hooks, e.g. <c>/groups/3/hooks</c>.</summary>
    public string HooksPath => $"/{(Kind == HookOwnerKind.Group ? "groups" : "projects")}/{Id}/hooks";

    public override string ToString() => $"{(Kind == HookOwnerKind.Group ? "group" : "project")} {Path}";
}

public enum HookOwnerKind
{
    Group,
    Project,
}

/// <summary>What <c>install</c>, <c>uninstall</c> and <c>doctor</c> call: instance, token, groups and webhooks.</summary>
public interface IHookAdmin
{
    Task<GitLabVersion> GetVersionAsync(CancellationToken cancellationToken);

    Task<GitLabUser> GetCurrentUserAsync(CancellationToken cancellationToken);

    /// <summary>The token in use (scopes, expiry). Fails on GitLab before 15.5 and for tokens that are not personal, project or group access tokens.</summary>
    Task<GitLabTokenInfo> GetTokenInfoAsync(CancellationToken cancellationToken);

    /// <summary>A group by numeric id or full path (<c>acme/platform</c>); null when it does not exist or the token's user cannot see it.</summary>
    Task<GitLabGroup?> FindGroupAsync(string idOrPath, CancellationToken cancellationToken);

    /// <summary>Projects whose namespace is the group (and, with <paramref name="includeSubgroups"/>, any subgroup); projects merely shared with it are left out.</summary>
    Task<IReadOnlyList<GitLabProject>> GetGroupProjectsAsync(long groupId, bool includeSubgroups, CancellationToken cancellationToken);

    /// <summary>
    /// Every hook of the owner. Group hooks need GitLab Premium: without it the endpoint does not exist (404)
    /// or is refused (403), which surfaces as <see cref="GitLabApiException"/> with that status.
    /// </summary>
    Task<IReadOnlyList<GitLabHook>> GetHooksAsync(HookOwner owner, CancellationToken cancellationToken);

    Task<GitLabHook> CreateHookAsync(HookOwner owner, HookBody body, CancellationToken cancellationToken);

    Task<GitLabHook> UpdateHookAsync(HookOwner owner, long hookId, HookBody body, CancellationToken cancellationToken);

    /// <summary>Deletes the hook; one already gone (404) counts as deleted.</summary>
    Task DeleteHookAsync(HookOwner owner, long hookId, CancellationToken cancellationToken);
}

public sealed partial class GitLabClient : IHookAdmin
{
    public Task<GitLabVersion> GetVersionAsync(CancellationToken cancellationToken) =>
        ReadAsync(api.GetVersionAsync(cancellationToken), "GET", "/version", cancellationToken);

    public Task<GitLabTokenInfo> GetTokenInfoAsync(CancellationToken cancellationToken) =>
        ReadAsync(api.GetTokenInfoAsync(cancellationToken), "GET", "/personal_access_tokens/self", cancellationToken);

    public async Task<GitLabGroup?> FindGroupAsync(string idOrPath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrPath);
        var encoded = GitLabPaths.EncodeNamespacePath(idOrPath);
        // with_projects=false: the group answer would otherwise embed up to 100 projects nobody reads.
        var response = await SendAsync(api.GetGroupAsync(encoded, "false", cancellationToken), "GET", $"/groups/{encoded}", cancellationToken, allowNotFound: true);
        return response.StatusCode == HttpStatusCode.NotFound ? null : response.Content;
    }

    public Task<IReadOnlyList<GitLabProject>> GetGroupProjectsAsync(long groupId, bool includeSubgroups, CancellationToken cancellationToken) =>
        GetAllPagesAsync(
            $"/groups/{groupId}/projects",
            (page, size, ct) => api.ListGroupProjectsAsync(groupId, includeSubgroups ? "true" : "false", "false", page, size, ct),
            cancellationToken);

    public Task<IReadOnlyList<GitLabHook>> GetHooksAsync(HookOwner owner, CancellationToken cancellationToken) =>
        owner.Kind == HookOwnerKind.Group
            ? GetAllPagesAsync(owner.HooksPath, (page, size, ct) => api.ListGroupHooksAsync(owner.Id, page, size, ct), cancellationToken)
            : GetAllPagesAsync(owner.HooksPath, (page, size, ct) => api.ListProjectHooksAsync(owner.Id, page, size, ct), cancellationToken);

    public Task<GitLabHook> CreateHookAsync(HookOwner owner, HookBody body, CancellationToken cancellationToken) =>
        ReadAsync(
            owner.Kind == HookOwnerKind.Group ? api.CreateGroupHookAsync(owner.Id, body, cancellationToken) : api.CreateProjectHookAsync(owner.Id, body, cancellationToken),
            "POST",
            owner.HooksPath,
            cancellationToken);

    public Task<GitLabHook> UpdateHookAsync(HookOwner owner, long hookId, HookBody body, CancellationToken cancellationToken) =>
        ReadAsync(
            owner.Kind == HookOwnerKind.Group ? api.UpdateGroupHookAsync(owner.Id, hookId, body, cancellationToken) : api.UpdateProjectHookAsync(owner.Id, hookId, body, cancellationToken),
            "PUT",
            $"{owner.HooksPath}/{hookId}",
            cancellationToken);

    public async Task DeleteHookAsync(HookOwner owner, long hookId, CancellationToken cancellationToken) =>
        // A retried DELETE whose first attempt did succeed answers 404: the hook is gone either way.
        await SendAsync(
            owner.Kind == HookOwnerKind.Group ? api.DeleteGroupHookAsync(owner.Id, hookId, cancellationToken) : api.DeleteProjectHookAsync(owner.Id, hookId, cancellationToken),
            "DELETE",
            $"{owner.HooksPath}/{hookId}",
            cancellationToken,
            allowNotFound: true);
}
