using System.Text.Json.Nodes;
using GitLabMrBot.TestGitLab.Model;

namespace GitLabMrBot.TestGitLab.Api;

/// <summary>
/// The REST endpoints, one partial file per area. Handlers run under the state lock and are synchronous:
/// the emulator is in memory. To add an endpoint, add a <c>Map</c> line in <see cref="Routes"/>.
/// </summary>
internal sealed partial class GitLabApi(GitLabState state, Representations json)
{
    public ApiRouter Routes() => HookRoutes(new ApiRouter())
        // users
        .Map("GET", "/user", CurrentUser)
        .Map("GET", "/users", ListUsers)
        .Map("GET", "/users/:id/status", UserStatus, anonymous: true)
        // projects, members, files, labels
        .Map("GET", "/projects/:id", GetProject)
        .Map("GET", "/projects/:id/members", ProjectMembers)
        .Map("GET", "/projects/:id/members/all", ProjectMembersAll)
        .Map("GET", "/projects/:id/members/all/:user_id", ProjectMemberAll)
        .Map("GET", "/groups/:id/members", GroupMembers)
        .Map("GET", "/groups/:id/members/all", GroupMembersAll)
        .Map("GET", "/projects/:id/repository/files/:file_path/raw", RawFile)
        .Map("GET", "/projects/:id/repository/files/:file_path", FileWithContent)
        .Map("GET", "/projects/:id/repository/branches/:branch", Branch)
        .Map("GET", "/projects/:id/labels", ListLabels)
        .Map("POST", "/projects/:id/labels", CreateLabel)
        // merge requests
        .Map("GET", "/merge_requests", ListAllMergeRequests)
        .Map("GET", "/groups/:id/merge_requests", ListGroupMergeRequests)
        .Map("GET", "/projects/:id/merge_requests", ListProjectMergeRequests)
        .Map("GET", "/projects/:id/merge_requests/:merge_request_iid", GetMergeRequest)
        .Map("PUT", "/projects/:id/merge_requests/:merge_request_iid", UpdateMergeRequest)
        .Map("GET", "/projects/:id/merge_requests/:merge_request_iid/diffs", MergeRequestDiffs)
        .Map("GET", "/projects/:id/merge_requests/:merge_request_iid/commits", MergeRequestCommits)
        .Map("GET", "/projects/:id/merge_requests/:merge_request_iid/resource_label_events", LabelEvents)
        // notes
        .Map("GET", "/projects/:id/merge_requests/:merge_request_iid/notes", ListNotes)
        .Map("POST", "/projects/:id/merge_requests/:merge_request_iid/notes", CreateNote)
        .Map("GET", "/projects/:id/merge_requests/:merge_request_iid/notes/:note_id", GetNote)
        .Map("PUT", "/projects/:id/merge_requests/:merge_request_iid/notes/:note_id", UpdateNote)
        .Map("DELETE", "/projects/:id/merge_requests/:merge_request_iid/notes/:note_id", DeleteNote);

    // ---- shared lookups with GitLab's permission semantics ----

    /// <summary>Projects are "internal": any signed-in user reads them; an unknown project is 404 Project Not Found.</summary>
    private ProjectEntity Project(ApiRequest r)
    {
        _ = r.Caller;
        return state.FindProject(r["id"]) ?? throw ApiResult.NotFound("Project");
    }

    /// <summary>
    /// An unknown iid is GitLab's generic <c>404 Not found</c>: the lookup raises RecordNotFound, which the API
    /// answers without naming the resource (unlike <c>404 Project Not Found</c>).
    /// </summary>
    private MergeRequestEntity MergeRequest(ApiRequest r)
    {
        var project = Project(r);
        return int.TryParse(r["merge_request_iid"], out var iid) && project.MergeRequests.Find(m => m.Iid == iid) is { } mr
            ? mr
            : throw new ApiError(ApiResult.Message(404, "404 Not found"));
    }

    /// <summary>Updating an MR needs Developer, or being its author (GitLab's update_merge_request ability).</summary>
    private void RequireCanUpdate(UserEntity user, MergeRequestEntity mr)
    {
        if (mr.Author != user && state.AccessOf(user, mr.Project) < AccessLevel.Developer)
        {
            throw ApiResult.Forbidden();
        }
    }

    private static JsonNode[] Nodes<T>(IEnumerable<T> items, Func<T, JsonNode> map) => [.. items.Select(map)];
}
