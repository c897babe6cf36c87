namespace GitLabMrBot.TestGitLab;

/// <summary>GitLab's member access levels (docs/gitlab-behaviour.md §3.5).</summary>
public enum AccessLevel
{
    NoAccess = 0,
    Minimal = 5,
    Guest = 10,
    Planner = 15,
    Reporter = 20,
    Developer = 30,
    Maintainer = 40,
    Owner = 50,
}

/// <summary>A seeded user; <see cref="Token"/> is a personal access token that authenticates as this user.</summary>
public sealed record GitLabUser(int Id, string Username, string Name, string Token);

/// <summary>A seeded group, by its full path (<c>parent/child</c>).</summary>
public sealed record GitLabGroup(int Id, string FullPath);

/// <summary>A seeded project.</summary>
public sealed record GitLabProject(int Id, string PathWithNamespace);

/// <summary>A merge request: <see cref="Id"/> is the global id, <see cref="Iid"/> the project-scoped one the API uses.</summary>
public sealed record GitLabMergeRequest(int ProjectId, int Iid, int Id);

/// <summary>A registered webhook (project or group hook).</summary>
public sealed record GitLabHook(int Id, string Url);

/// <summary>
/// A snapshot of a webhook, for assertions. <see cref="Token"/> is what GitLab stores (the API never shows it);
/// <see cref="AlertStatus"/> is <c>executable</c>, <c>temporarily_disabled</c> or <c>disabled</c>.
/// </summary>
public sealed record HookView(
    int Id,
    string Url,
    string? Token,
    string? ProjectPath,
    string? GroupPath,
    HookEvents Events,
    bool EnableSslVerification,
    string AlertStatus,
    DateTimeOffset? DisabledUntil,
    int RecentFailures);

/// <summary>
/// Which events a hook receives (GitLab's <c>push_events</c>, <c>merge_requests_events</c>, <c>note_events</c>,
/// <c>confidential_note_events</c>). Notes in internal threads go only to <see cref="ConfidentialNotes"/> hooks, as
/// <c>Confidential Note Hook</c>; null is what GitLab stores for a hook created without it (the column has no default).
/// </summary>
public sealed record HookEvents(bool Push = true, bool MergeRequests = true, bool Notes = true, bool? ConfidentialNotes = true)
{
    public static HookEvents All { get; } = new();
}

/// <summary>
/// A change made to a merge request as a human would make it in the UI. Null means "unchanged".
/// Same rules as the API: <see cref="Labels"/> replaces, then <see cref="AddLabels"/> and <see cref="RemoveLabels"/> apply,
/// scoped labels stay exclusive, missing labels are created.
/// </summary>
public sealed record MergeRequestUpdate
{
    public string? Title { get; init; }
    public string? Description { get; init; }

    /// <summary>Draft is a title prefix in GitLab: true adds <c>Draft: </c>, false strips any draft prefix.</summary>
    public bool? Draft { get; init; }

    public IReadOnlyList<string>? Labels { get; init; }
    public IReadOnlyList<string>? AddLabels { get; init; }
    public IReadOnlyList<string>? RemoveLabels { get; init; }
    public IReadOnlyList<GitLabUser>? Assignees { get; init; }
    public IReadOnlyList<GitLabUser>? Reviewers { get; init; }

    /// <summary><c>close</c> or <c>reopen</c>.</summary>
    public string? StateEvent { get; init; }
}

/// <summary>A snapshot of a merge request's state, for assertions.</summary>
public sealed record MergeRequestView(
    int Id,
    int Iid,
    int ProjectId,
    string Title,
    string Description,
    string State,
    bool Draft,
    string SourceBranch,
    string TargetBranch,
    string Author,
    IReadOnlyList<string> Labels,
    IReadOnlyList<string> Assignees,
    IReadOnlyList<string> Reviewers,
    string Sha,
    string DetailedMergeStatus,
    bool HasConflicts,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A snapshot of a note; <see cref="System"/> notes are GitLab's own ("requested review from @bob").</summary>
public sealed record NoteView(int Id, string Author, string Body, bool System, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A resource label event: who added or removed which label.</summary>
public sealed record LabelEventView(int Id, string User, string Label, string Action, DateTimeOffset CreatedAt);

/// <summary>A project label.</summary>
public sealed record LabelView(int Id, string Name, string Color, string Description);

/// <summary>One changed file of a merge request (GitLab's diff item plus the line counts GitLab shows in the UI).</summary>
public sealed record FileDiff(
    string OldPath,
    string NewPath,
    bool NewFile,
    bool DeletedFile,
    string Diff,
    int Additions,
    int Deletions);
