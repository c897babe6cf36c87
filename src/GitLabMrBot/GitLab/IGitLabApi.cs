using Refit;

namespace GitLabMrBot.GitLab;

/// <summary>
/// The subset of GitLab's REST API v4 the bot calls (docs/gitlab-behaviour.md §3), relative to <c>{GITLAB_URL}/api/v4</c>.
/// Every method returns <see cref="IApiResponse{T}"/> so that <see cref="GitLabClient"/> sees headers
/// (pagination) and maps every failure to <see cref="GitLabApiException"/> in one place.
/// Use <see cref="GitLabClient"/>, not this interface, from the rest of the bot.
/// </summary>
public interface IGitLabApi
{
    [Get("/user")]
    Task<IApiResponse<GitLabUser>> GetCurrentUserAsync(CancellationToken cancellationToken);

    [Get("/projects/{projectId}")]
    Task<IApiResponse<GitLabProject>> GetProjectAsync(long projectId, CancellationToken cancellationToken);

    /// <summary><c>GET /user</c> once, never repeated by the pipeline: a reachability probe reports GitLab's first answer.</summary>
    [Get("/user")]
    Task<IApiResponse<GitLabUser>> GetCurrentUserOnceAsync([Property(GitLabRetryRules.NoRepeatOption)] bool noRepeat, CancellationToken cancellationToken);

    /// <summary><c>GET /projects/:id</c> with the URL-encoded path (<c>group%2Fproject</c>) as the id.</summary>
    [Get("/projects/{encodedProject}")]
    Task<IApiResponse<GitLabProject>> GetProjectByPathAsync([Encoded] string encodedProject, CancellationToken cancellationToken);

    /// <summary><paramref name="includeDivergedCommitsCount"/> is <c>"true"</c> text, as GitLab wants it (Refit would write <c>True</c>).</summary>
    [Get("/projects/{projectId}/merge_requests/{iid}")]
    Task<IApiResponse<GitLabMergeRequest>> GetMergeRequestAsync(
        long projectId,
        long iid,
        [AliasAs("include_diverged_commits_count")] string? includeDivergedCommitsCount,
        CancellationToken cancellationToken);

    [Get("/projects/{projectId}/merge_requests/{iid}/diffs")]
    Task<IApiResponse<List<GitLabDiff>>> GetDiffsAsync(long projectId, long iid, int page, [AliasAs("per_page")] int perPage, CancellationToken cancellationToken);

    [Get("/projects/{projectId}/merge_requests/{iid}/commits")]
    Task<IApiResponse<List<GitLabCommit>>> GetCommitsAsync(long projectId, long iid, int page, [AliasAs("per_page")] int perPage, CancellationToken cancellationToken);

    /// <summary>PUT with the full desired change: <c>add_labels</c>/<c>remove_labels</c> and whole id lists, so a repeat is harmless.</summary>
    [Put("/projects/{projectId}/merge_requests/{iid}")]
    Task<IApiResponse<GitLabMergeRequest>> UpdateMergeRequestAsync(long projectId, long iid, [Body] UpdateMergeRequestBody body, CancellationToken cancellationToken);

    /// <summary>
    /// The same PUT, never repeated by the resilience pipeline (<see cref="GitLabRetryRules.NoRepeatOption"/>): it carries
    /// whole reviewer or assignee lists, so every attempt is rebuilt from a fresh read by its caller.
    /// </summary>
    [Put("/projects/{projectId}/merge_requests/{iid}")]
    Task<IApiResponse<GitLabMergeRequest>> UpdateMergeRequestOnceAsync(
        long projectId,
        long iid,
        [Body] UpdateMergeRequestBody body,
        [Property(GitLabRetryRules.NoRepeatOption)] bool noRepeat,
        CancellationToken cancellationToken);

    [Get("/projects/{projectId}/merge_requests/{iid}/notes")]
    Task<IApiResponse<List<GitLabNote>>> GetNotesAsync(
        long projectId,
        long iid,
        int page,
        [AliasAs("per_page")] int perPage,
        string sort,
        [AliasAs("order_by")] string orderBy,
        CancellationToken cancellationToken);

    /// <summary>Not idempotent: the resilience pipeline never re-sends it (see <see cref="GitLabRetryRules"/>).</summary>
    [Post("/projects/{projectId}/merge_requests/{iid}/notes")]
    Task<IApiResponse<GitLabNote>> CreateNoteAsync(long projectId, long iid, [Body] NoteBody body, CancellationToken cancellationToken);

    [Put("/projects/{projectId}/merge_requests/{iid}/notes/{noteId}")]
    Task<IApiResponse<GitLabNote>> UpdateNoteAsync(long projectId, long iid, long noteId, [Body] NoteBody body, CancellationToken cancellationToken);

    [Get("/projects/{projectId}/merge_requests/{iid}/resource_label_events")]
    Task<IApiResponse<List<GitLabLabelEvent>>> GetLabelEventsAsync(long projectId, long iid, int page, [AliasAs("per_page")] int perPage, CancellationToken cancellationToken);

    [Get("/projects/{projectId}/labels")]
    Task<IApiResponse<List<GitLabLabel>>> GetLabelsAsync(long projectId, int page, [AliasAs("per_page")] int perPage, CancellationToken cancellationToken);

    /// <summary>
    /// Safe to re-send: a second create of the same name answers 409, which the client treats as done.
    /// The <see cref="PropertyAttribute"/> tells the resilience pipeline so (<see cref="GitLabRetryRules.RetrySafeOption"/>).
    /// </summary>
    [Post("/projects/{projectId}/labels")]
    Task<IApiResponse<GitLabLabel>> CreateLabelAsync(
        long projectId,
        [Body] CreateLabelBody body,
        [Property(GitLabRetryRules.RetrySafeOption)] bool retrySafe,
        CancellationToken cancellationToken);

    /// <summary><paramref name="encodedFilePath"/> is already one escaped segment (<see cref="GitLabPaths.EncodeFilePath"/>: <c>/</c> → <c>%2F</c>).</summary>
    [Get("/projects/{projectId}/repository/files/{encodedFilePath}/raw")]
    Task<IApiResponse<string>> GetRawFileAsync(long projectId, [Encoded] string encodedFilePath, [AliasAs("ref")] string? gitRef, CancellationToken cancellationToken);

    /// <summary>The file's blob id and base64 content; <paramref name="encodedFilePath"/> as for <see cref="GetRawFileAsync"/>. GitLab requires <c>ref</c>.</summary>
    [Get("/projects/{projectId}/repository/files/{encodedFilePath}")]
    Task<IApiResponse<GitLabRepositoryFile>> GetRepositoryFileAsync(long projectId, [Encoded] string encodedFilePath, [AliasAs("ref")] string gitRef, CancellationToken cancellationToken);

    /// <summary><paramref name="encodedBranch"/> is already one escaped segment (<see cref="GitLabPaths.EncodeFilePath"/>: <c>/</c> → <c>%2F</c>).</summary>
    [Get("/projects/{projectId}/repository/branches/{encodedBranch}")]
    Task<IApiResponse<GitLabBranch>> GetBranchAsync(long projectId, [Encoded] string encodedBranch, CancellationToken cancellationToken);

    [Get("/projects/{projectId}/members/all/{userId}")]
    Task<IApiResponse<GitLabMember>> GetProjectMemberAsync(long projectId, long userId, CancellationToken cancellationToken);


    [Get("/groups/{groupId}/members/all")]
    Task<IApiResponse<List<GitLabMember>>> GetAllGroupMembersAsync(long groupId, int page, [AliasAs("per_page")] int perPage, CancellationToken cancellationToken);

    [Get("/groups/{groupId}/members")]
    Task<IApiResponse<List<GitLabMember>>> GetDirectGroupMembersAsync(long groupId, int page, [AliasAs("per_page")] int perPage, CancellationToken cancellationToken);

    [Get("/projects/{projectId}/members")]
    Task<IApiResponse<List<GitLabMember>>> GetDirectProjectMembersAsync(long projectId, int page, [AliasAs("per_page")] int perPage, CancellationToken cancellationToken);

    /// <summary><paramref name="encodedGroupPath"/> is one escaped segment (<c>acme%2Fbackend</c>).</summary>
    [Get("/groups/{encodedGroupPath}/members")]
    Task<IApiResponse<List<GitLabMember>>> GetDirectGroupMembersByPathAsync([Encoded] string encodedGroupPath, int page, [AliasAs("per_page")] int perPage, CancellationToken cancellationToken);

    /// <summary><c>GET /users?search=</c>: name, username or public email (emails match exactly).</summary>
    [Get("/users")]
    Task<IApiResponse<List<GitLabUser>>> SearchUsersAsync(string search, CancellationToken cancellationToken);

    [Get("/users/{userId}/status")]
    Task<IApiResponse<GitLabUserStatus>> GetUserStatusAsync(long userId, CancellationToken cancellationToken);

    [Get("/users")]
    Task<IApiResponse<List<GitLabUser>>> FindUsersAsync(string username, CancellationToken cancellationToken);

    [Get("/projects/{projectId}/merge_requests")]
    Task<IApiResponse<List<GitLabMergeRequest>>> ListProjectMergeRequestsAsync(
        long projectId,
        string? state,
        [AliasAs("source_branch")] string? sourceBranch,
        [AliasAs("target_branch")] string? targetBranch,
        [AliasAs("updated_after")] string? updatedAfter,
        [AliasAs("reviewer_id")] long? reviewerId,
        int page,
        [AliasAs("per_page")] int perPage,
        CancellationToken cancellationToken);

    /// <summary><paramref name="groupId"/> is an id or a full path (Refit escapes <c>/</c> as <c>%2F</c>, as GitLab wants).</summary>
    [Get("/groups/{groupId}/merge_requests")]
    Task<IApiResponse<List<GitLabMergeRequest>>> ListGroupMergeRequestsAsync(
        string groupId,
        string? state,
        [AliasAs("updated_after")] string? updatedAfter,
        int page,
        [AliasAs("per_page")] int perPage,
        CancellationToken cancellationToken);

    [Get("/merge_requests")]
    Task<IApiResponse<List<GitLabMergeRequest>>> ListMergeRequestsForReviewerAsync(
        [AliasAs("reviewer_id")] long reviewerId,
        string? state,
        string scope,
        int page,
        [AliasAs("per_page")] int perPage,
        CancellationToken cancellationToken);

    // ---- install, uninstall, doctor (IHookAdmin) ----

    [Get("/version")]
    Task<IApiResponse<GitLabVersion>> GetVersionAsync(CancellationToken cancellationToken);

    [Get("/personal_access_tokens/self")]
    Task<IApiResponse<GitLabTokenInfo>> GetTokenInfoAsync(CancellationToken cancellationToken);

    /// <summary><paramref name="encodedGroup"/> is a numeric id or a full path escaped as one segment (<c>acme%2Fplatform</c>).</summary>
    [Get("/groups/{encodedGroup}")]
    Task<IApiResponse<GitLabGroup>> GetGroupAsync([Encoded] string encodedGroup, [AliasAs("with_projects")] string withProjects, CancellationToken cancellationToken);

    /// <summary>Booleans are sent as <c>"true"</c>/<c>"false"</c> text: Refit would write <c>True</c>.</summary>
    [Get("/groups/{groupId}/projects")]
    Task<IApiResponse<List<GitLabProject>>> ListGroupProjectsAsync(
        long groupId,
        [AliasAs("include_subgroups")] string includeSubgroups,
        [AliasAs("with_shared")] string withShared,
        int page,
        [AliasAs("per_page")] int perPage,
        CancellationToken cancellationToken);

    [Get("/groups/{groupId}/hooks")]
    Task<IApiResponse<List<GitLabHook>>> ListGroupHooksAsync(long groupId, int page, [AliasAs("per_page")] int perPage, CancellationToken cancellationToken);

    /// <summary>Not idempotent (a second POST makes a second hook): never re-sent by the pipeline; install re-reads instead.</summary>
    [Post("/groups/{groupId}/hooks")]
    Task<IApiResponse<GitLabHook>> CreateGroupHookAsync(long groupId, [Body] HookBody body, CancellationToken cancellationToken);

    [Put("/groups/{groupId}/hooks/{hookId}")]
    Task<IApiResponse<GitLabHook>> UpdateGroupHookAsync(long groupId, long hookId, [Body] HookBody body, CancellationToken cancellationToken);

    [Delete("/groups/{groupId}/hooks/{hookId}")]
    Task<IApiResponse<string>> DeleteGroupHookAsync(long groupId, long hookId, CancellationToken cancellationToken);

    [Get("/projects/{projectId}/hooks")]
    Task<IApiResponse<List<GitLabHook>>> ListProjectHooksAsync(long projectId, int page, [AliasAs("per_page")] int perPage, CancellationToken cancellationToken);

    [Post("/projects/{projectId}/hooks")]
    Task<IApiResponse<GitLabHook>> CreateProjectHookAsync(long projectId, [Body] HookBody body, CancellationToken cancellationToken);

    [Put("/projects/{projectId}/hooks/{hookId}")]
    Task<IApiResponse<GitLabHook>> UpdateProjectHookAsync(long projectId, long hookId, [Body] HookBody body, CancellationToken cancellationToken);

    [Delete("/projects/{projectId}/hooks/{hookId}")]
    Task<IApiResponse<string>> DeleteProjectHookAsync(long projectId, long hookId, CancellationToken cancellationToken);
}
