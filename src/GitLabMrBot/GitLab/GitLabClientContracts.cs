using GitLabMrBot.Events;

namespace GitLabMrBot.GitLab;

// Narrow views of GitLabClient, one per kind of consumer (prow style): a class that only reads
// cannot write, and a test double implements only what its subject calls.

/// <summary>What reconciliation reads about one merge request and its project.</summary>
public interface IMergeRequestReader
{
    Task<GitLabUser> GetCurrentUserAsync(CancellationToken cancellationToken);
    Task<GitLabProject> GetProjectAsync(long projectId, CancellationToken cancellationToken);
    Task<GitLabMergeRequest> GetMergeRequestAsync(MergeRequestRef mergeRequest, CancellationToken cancellationToken);
    Task<IReadOnlyList<GitLabDiff>> GetAllDiffsAsync(MergeRequestRef mergeRequest, CancellationToken cancellationToken);
    Task<IReadOnlyList<GitLabCommit>> GetCommitsAsync(MergeRequestRef mergeRequest, CancellationToken cancellationToken);
    Task<IReadOnlyList<GitLabLabelEvent>> GetLabelEventsAsync(MergeRequestRef mergeRequest, CancellationToken cancellationToken);
    Task<IReadOnlyList<GitLabNote>> GetNotesAsync(MergeRequestRef mergeRequest, CancellationToken cancellationToken);
    Task<IReadOnlyList<GitLabLabel>> GetLabelsAsync(long projectId, CancellationToken cancellationToken);

    /// <summary>The commit a branch points at now; null when there is no such branch.</summary>
    Task<string?> GetBranchHeadAsync(long projectId, string branch, CancellationToken cancellationToken);

    /// <summary>A repository file's text at <paramref name="gitRef"/> (default branch when null); null when it does not exist.</summary>
    Task<string?> GetFileAsync(long projectId, string filePath, string? gitRef, CancellationToken cancellationToken);

    /// <summary>
    /// A repository file with its git blob id at <paramref name="gitRef"/> (<c>HEAD</c>: the default branch); null when it does
    /// not exist. The blob id changes exactly when the content does, so what is derived from the file can be cached by it.
    /// </summary>
    Task<GitLabRepositoryFile?> GetRepositoryFileAsync(long projectId, string filePath, string gitRef, CancellationToken cancellationToken);
}

/// <summary>Every write the bot makes to GitLab.</summary>
public interface IMergeRequestWriter
{
    Task<GitLabMergeRequest> UpdateMergeRequestAsync(MergeRequestRef mergeRequest, MergeRequestUpdate update, CancellationToken cancellationToken);

    /// <summary>
    /// An update built by <paramref name="build"/> from a fresh read of the merge request, before every attempt: the way to
    /// send <c>reviewer_ids</c>/<c>assignee_ids</c>, which replace whole lists. Nothing is sent when the update is empty.
    /// </summary>
    Task<FreshUpdateResult> UpdateMergeRequestFromFreshReadAsync(MergeRequestRef mergeRequest, Func<GitLabMergeRequest, MergeRequestUpdate> build, CancellationToken cancellationToken);

    /// <summary>
    /// Creates or edits the bot's note carrying <paramref name="marker"/>; never posts it twice. With
    /// <paramref name="knownAbsent"/> (the caller read the notes in this same evaluation and found none) it posts without
    /// reading them first; it still reads them before posting again after an answer that was lost.
    /// </summary>
    Task<NoteUpsertResult> UpsertMarkedNoteAsync(MergeRequestRef mergeRequest, string marker, string body, CancellationToken cancellationToken, bool knownAbsent = false);

    /// <summary>One plain POST, never repeated. Prefer <see cref="UpsertMarkedNoteAsync"/>.</summary>
    Task<GitLabNote> CreateNoteAsync(MergeRequestRef mergeRequest, string body, CancellationToken cancellationToken);
    Task<GitLabNote> UpdateNoteAsync(MergeRequestRef mergeRequest, long noteId, string body, CancellationToken cancellationToken);

    /// <summary>Creates the project labels that do not exist yet, with their colours (409 "already exists" counts as done); returns the names it saw created.</summary>
    Task<IReadOnlyList<string>> EnsureLabelsAsync(long projectId, IEnumerable<LabelDefinition> labels, CancellationToken cancellationToken);
}

/// <summary>People and merge request lookups (reviewer and assignee selection).</summary>
public interface IGitLabDirectory
{
    Task<GitLabUser> GetCurrentUserAsync(CancellationToken cancellationToken);

    /// <summary>
    /// One user's membership (<c>/members/all/:user_id</c>: direct, inherited or invited, at their highest access level);
    /// null when they are no member (GitLab answers 404).
    /// </summary>
    Task<GitLabMember?> GetProjectMemberAsync(long projectId, long userId, CancellationToken cancellationToken);

    /// <summary><c>/groups/:id/members/all</c> when <paramref name="includeInherited"/>, else direct members only.</summary>
    Task<IReadOnlyList<GitLabMember>> GetGroupMembersAsync(long groupId, bool includeInherited, CancellationToken cancellationToken);

    /// <summary>Direct members of the project only (<c>/projects/:id/members</c>): what CODEOWNERS roles (<c>@@developer</c>) mean.</summary>
    Task<IReadOnlyList<GitLabMember>> GetDirectProjectMembersAsync(long projectId, CancellationToken cancellationToken);

    /// <summary>Direct members of the group with this full path (<c>acme/backend</c>); null when no such group is visible.</summary>
    Task<IReadOnlyList<GitLabMember>?> GetDirectGroupMembersAsync(string groupPath, CancellationToken cancellationToken);

    /// <summary>The user whose public email is <paramref name="email"/>; null when none (or several) match.</summary>
    Task<GitLabUser?> FindUserByEmailAsync(string email, CancellationToken cancellationToken);

    /// <summary>Null when the user does not exist.</summary>
    Task<GitLabUserStatus?> GetUserStatusAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Null when no user has that username.</summary>
    Task<GitLabUser?> FindUserAsync(string username, CancellationToken cancellationToken);

    Task<IReadOnlyList<GitLabMergeRequest>> ListMergeRequestsAsync(long projectId, MergeRequestFilter filter, CancellationToken cancellationToken);

    /// <summary>Merge requests of a group and its subgroups (<c>GET /groups/:id/merge_requests</c>); <paramref name="group"/> is an id or a full path. Uses <see cref="MergeRequestFilter.State"/> and <see cref="MergeRequestFilter.UpdatedAfter"/>.</summary>
    Task<IReadOnlyList<GitLabMergeRequest>> ListGroupMergeRequestsAsync(string group, MergeRequestFilter filter, CancellationToken cancellationToken);

    /// <summary>The project with this path (<c>group/project</c>); null when GitLab has none the token can see.</summary>
    Task<GitLabProject?> FindProjectAsync(string projectPath, CancellationToken cancellationToken);

    /// <summary>
    /// How many merge requests anywhere (<c>scope=all</c>) have this reviewer, e.g. a reviewer's load: one request, GitLab's
    /// <c>x-total</c>; past GitLab's count limit, <see cref="GitLabPaths.CountLimit"/> + 1.
    /// </summary>
    Task<int> CountMergeRequestsForReviewerAsync(long reviewerId, string? state, CancellationToken cancellationToken);
}

/// <summary>
/// One MR update. Null means "leave alone"; the id lists replace GitLab's lists whole (empty clears).
/// All label changes go in one PUT (<c>add_labels</c>/<c>remove_labels</c>, idempotent).
/// </summary>
public sealed record MergeRequestUpdate
{
    public IReadOnlyCollection<string>? AddLabels { get; init; }
    public IReadOnlyCollection<string>? RemoveLabels { get; init; }
    public IReadOnlyList<long>? AssigneeIds { get; init; }
    public IReadOnlyList<long>? ReviewerIds { get; init; }

    public bool IsEmpty =>
        (AddLabels is null || AddLabels.Count == 0) && (RemoveLabels is null || RemoveLabels.Count == 0) && AssigneeIds is null && ReviewerIds is null;
}

/// <summary>
/// What <see cref="IMergeRequestWriter.UpdateMergeRequestFromFreshReadAsync"/> did: the merge request as last read before
/// the PUT, the update sent (null when there was nothing to send), and the merge request as GitLab answered it (what it
/// actually applied; the read itself when nothing was sent).
/// </summary>
public sealed record FreshUpdateResult(GitLabMergeRequest Before, MergeRequestUpdate? Sent, GitLabMergeRequest After);

/// <summary>A project label the bot wants to exist. <paramref name="Color"/> is <c>#RRGGBB</c> or a CSS colour name.</summary>
public sealed record LabelDefinition(string Name, string Color, string? Description = null);

/// <summary>Filters of <c>GET /projects/:id/merge_requests</c>; null filters are not sent.</summary>
public sealed record MergeRequestFilter
{
    /// <summary><c>opened</c>, <c>closed</c>, <c>locked</c>, <c>merged</c> or <c>all</c>.</summary>
    public string? State { get; init; }
    public string? SourceBranch { get; init; }
    public string? TargetBranch { get; init; }
    public DateTimeOffset? UpdatedAfter { get; init; }
    public long? ReviewerId { get; init; }
}

public enum NoteUpsertOutcome
{
    /// <summary>The note existed with this text: no write.</summary>
    Unchanged,

    /// <summary>The note existed and was edited (one PUT).</summary>
    Updated,

    /// <summary>No note had the marker; one was posted.</summary>
    Created,
}

public sealed record NoteUpsertResult(GitLabNote Note, NoteUpsertOutcome Outcome);
