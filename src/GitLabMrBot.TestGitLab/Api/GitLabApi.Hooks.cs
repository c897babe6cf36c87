using System.Text.Json.Nodes;
using GitLabMrBot.TestGitLab.Model;

namespace GitLabMrBot.TestGitLab.Api;

/// <summary>
/// Instance, groups and webhooks: <c>/version</c>, <c>/personal_access_tokens/self</c>, <c>/groups/:id</c>,
/// <c>/groups/:id/projects</c>, and the project and group hooks APIs (docs/gitlab-behaviour.md §3.6). Project hooks need Maintainer,
/// group hooks Owner; group hooks exist only while <see cref="GitLabState.GroupHooksAvailable"/> (Premium).
/// </summary>
internal sealed partial class GitLabApi
{
    private ApiRouter HookRoutes(ApiRouter router) => router
        .Map("GET", "/version", Version)
        .Map("GET", "/personal_access_tokens/self", TokenSelf)
        .Map("GET", "/groups/:id", GetGroup)
        .Map("GET", "/groups/:id/projects", GroupProjects)
        .Map("GET", "/projects/:id/hooks", r => ListHooks(ProjectHooks(r)))
        .Map("POST", "/projects/:id/hooks", r => CreateHook(r, Project(RequireHookAdmin(r)), null))
        .Map("GET", "/projects/:id/hooks/:hook_id", r => ApiResult.Ok(Representations.Hook(FindHook(r, ProjectHooks(r)), state.Now)))
        .Map("PUT", "/projects/:id/hooks/:hook_id", r => UpdateHook(r, FindHook(r, ProjectHooks(r))))
        .Map("DELETE", "/projects/:id/hooks/:hook_id", r => DeleteHook(FindHook(r, ProjectHooks(r))))
        .Map("GET", "/groups/:id/hooks", r => ListHooks(GroupHooks(r)))
        .Map("POST", "/groups/:id/hooks", r => CreateHook(r, null, GroupForHooks(r)))
        .Map("GET", "/groups/:id/hooks/:hook_id", r => ApiResult.Ok(Representations.Hook(FindHook(r, GroupHooks(r)), state.Now)))
        .Map("PUT", "/groups/:id/hooks/:hook_id", r => UpdateHook(r, FindHook(r, GroupHooks(r))))
        .Map("DELETE", "/groups/:id/hooks/:hook_id", r => DeleteHook(FindHook(r, GroupHooks(r))));

    private ApiResult Version(ApiRequest r)
    {
        _ = r.Caller;
        return ApiResult.Ok(new JsonObject
        {
            ["version"] = state.GroupHooksAvailable ? $"{Versions.GitLab}-ee" : Versions.GitLab,
            ["revision"] = Versions.Revision,
            ["kas"] = new JsonObject { ["enabled"] = false, ["externalUrl"] = null, ["externalK8sProxyUrl"] = null, ["version"] = null },
            ["enterprise"] = state.GroupHooksAvailable,
        });
    }

    /// <summary>
    /// The token the request came with; an OAuth token is refused with 400, as the endpoint only describes personal access
    /// tokens (docs/gitlab-behaviour.md §3.1); a session without one (never here) would be 404.
    /// </summary>
    private ApiResult TokenSelf(ApiRequest r)
    {
        _ = r.Caller;
        if (r.OAuth)
        {
            return ApiResult.Message(400, "400 Bad request - This endpoint requires token type to be a personal access token");
        }

        return r.Token is { } token ? ApiResult.Ok(Representations.Token(token)) : throw ApiResult.NotFound("Token");
    }

    private ApiResult GetGroup(ApiRequest r) => ApiResult.Ok(json.Group(Group(r)));

    /// <summary>Projects in the group (and, with <c>include_subgroups=true</c>, below it), newest first as GitLab's default order.</summary>
    private ApiResult GroupProjects(ApiRequest r)
    {
        var group = Group(r);
        var groups = r.Params.Bool("include_subgroups") == true ? state.SelfAndDescendants(group).ToHashSet() : [group];
        _ = r.Params.Bool("with_shared");
        var projects = state.Projects.Where(p => groups.Contains(p.Namespace)).OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id);
        return ApiResult.Paged(r, Nodes(projects, json.Project));
    }

    // ---- hooks ----

    /// <summary>Project hooks need the admin_project ability: Maintainer or above.</summary>
    private ApiRequest RequireHookAdmin(ApiRequest r)
    {
        if (state.AccessOf(r.Caller, Project(r)) < AccessLevel.Maintainer)
        {
            throw ApiResult.Forbidden();
        }

        return r;
    }

    private IEnumerable<HookEntity> ProjectHooks(ApiRequest r)
    {
        var project = Project(RequireHookAdmin(r));
        return state.Hooks.Where(h => h.Project == project);
    }

    /// <summary>
    /// Group hooks are EE code: on GitLab Free (CE) the route is not mounted at all, so GitLab answers its unknown-route
    /// 404 <c>{"error":"404 Not Found"}</c>. Otherwise the group's Owner (admin_group) may use them.
    /// </summary>
    private GroupEntity GroupForHooks(ApiRequest r)
    {
        if (!state.GroupHooksAvailable)
        {
            throw new ApiError(ApiResult.Error(404, "404 Not Found"));
        }

        var group = Group(r);
        return state.AccessOf(r.Caller, group) >= AccessLevel.Owner ? group : throw ApiResult.Forbidden();
    }

    private IEnumerable<HookEntity> GroupHooks(ApiRequest r)
    {
        var group = GroupForHooks(r);
        return state.Hooks.Where(h => h.Group == group);
    }

    private ApiResult ListHooks(IEnumerable<HookEntity> hooks)
    {
        var now = state.Now;
        return ApiResult.Ok(new JsonArray([.. hooks.OrderBy(h => h.Id).Select(h => (JsonNode)Representations.Hook(h, now))]));
    }

    private static HookEntity FindHook(ApiRequest r, IEnumerable<HookEntity> hooks) =>
        int.TryParse(r["hook_id"], out var id) && hooks.FirstOrDefault(h => h.Id == id) is { } hook
            ? hook
            : throw new ApiError(ApiResult.Message(404, "404 Not found"));

    private ApiResult CreateHook(ApiRequest r, ProjectEntity? project, GroupEntity? group)
    {
        var url = r.Params.String("url")?.Trim();
        if (string.IsNullOrEmpty(url))
        {
            return ApiResult.Error(400, "url is missing");
        }

        if (!ValidHookUrl(url))
        {
            return InvalidUrl();
        }

        // Column defaults of web_hooks: push events and SSL verification on, every other trigger off
        // (confidential_note_events has no default: null).
        var events = new HookEvents(
            Push: r.Params.Bool("push_events") ?? true,
            MergeRequests: r.Params.Bool("merge_requests_events") ?? false,
            Notes: r.Params.Bool("note_events") ?? false,
            ConfidentialNotes: r.Params.Bool("confidential_note_events"));
        var hook = state.AddHook(url, NullIfEmpty(r.Params.String("token")), project, group, events, r.Params.Bool("enable_ssl_verification") ?? true);
        return ApiResult.Created(Representations.Hook(hook, state.Now));
    }

    /// <summary>Only the attributes sent change; a new URL without a new token clears the token, as GitLab does.</summary>
    private ApiResult UpdateHook(ApiRequest r, HookEntity hook)
    {
        var url = r.Params.String("url")?.Trim();
        if (url is not null && !ValidHookUrl(url))
        {
            return InvalidUrl();
        }

        if (url is not null && url != hook.Url && !r.Params.Has("token"))
        {
            hook.Token = null;
        }

        hook.Url = url ?? hook.Url;
        if (r.Params.Has("token"))
        {
            hook.Token = NullIfEmpty(r.Params.String("token"));
        }

        hook.Events = new HookEvents(
            Push: r.Params.Bool("push_events") ?? hook.Events.Push,
            MergeRequests: r.Params.Bool("merge_requests_events") ?? hook.Events.MergeRequests,
            Notes: r.Params.Bool("note_events") ?? hook.Events.Notes,
            ConfidentialNotes: r.Params.Bool("confidential_note_events") ?? hook.Events.ConfidentialNotes);
        hook.EnableSslVerification = r.Params.Bool("enable_ssl_verification") ?? hook.EnableSslVerification;
        return ApiResult.Ok(Representations.Hook(hook, state.Now));
    }

    private ApiResult DeleteHook(HookEntity hook)
    {
        state.Hooks.Remove(hook);
        return new ApiResult(204, null);
    }

    private static bool ValidHookUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    private static ApiResult InvalidUrl() =>
        new(422, new JsonObject { ["message"] = new JsonObject { ["url"] = new JsonArray("is blocked: Only allowed schemes are http, https") } });

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}

/// <summary>What <c>GET /version</c> reports; the webhook <c>User-Agent</c> uses the same version.</summary>
internal static class Versions
{
    public const string GitLab = "18.0.0";
    public const string Revision = "6a7b8c9d";
}
