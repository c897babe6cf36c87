using System.Collections.Immutable;

namespace GitLabMrBot.TestGitLab.Model;

// Mutable records of the emulator's state. Every read and write happens under GitLabState's lock.

internal sealed class UserEntity
{
    public required int Id { get; init; }
    public required string Username { get; init; }
    public required string Name { get; set; }
    public string State { get; set; } = "active";
    public bool Bot { get; init; }
    public bool Admin { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public string Availability { get; set; } = "not_set";
    public string StatusMessage { get; set; } = "";
    public string StatusEmoji { get; set; } = "";
    public string Email => $"{Username}@example.com";
}

internal sealed class GroupEntity
{
    public required int Id { get; init; }
    public required string FullPath { get; init; }
    public required string Name { get; init; }
    public GroupEntity? Parent { get; init; }
    public Dictionary<int, AccessLevel> Members { get; } = [];

    public IEnumerable<GroupEntity> SelfAndAncestors()
    {
        for (var g = this; g is not null; g = g.Parent)
        {
            yield return g;
        }
    }
}

internal sealed class CommitEntity
{
    public required string Sha { get; init; }
    public string? ParentSha { get; init; }
    public required string Message { get; init; }
    public required UserEntity Author { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required ImmutableSortedDictionary<string, string> Files { get; init; }
    public IReadOnlyList<string> Added { get; init; } = [];
    public IReadOnlyList<string> Modified { get; init; } = [];
    public IReadOnlyList<string> Removed { get; init; } = [];
    public string Title => Message.Split('\n', 2)[0];
}

internal sealed class LabelEntity
{
    public required int Id { get; init; }
    public required int ProjectId { get; init; }
    public required string Name { get; init; }
    public required string Color { get; set; }
    public string Description { get; set; } = "";
    public required DateTimeOffset CreatedAt { get; init; }
}

internal sealed class ProjectEntity
{
    public required int Id { get; init; }
    public required string Path { get; init; }
    public required GroupEntity Namespace { get; init; }
    public required string DefaultBranch { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public string PathWithNamespace => $"{Namespace.FullPath}/{Path}";
    public Dictionary<int, AccessLevel> Members { get; } = [];
    public List<LabelEntity> Labels { get; } = [];
    public Dictionary<string, string> Branches { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, CommitEntity> Commits { get; } = new(StringComparer.Ordinal);
    public List<MergeRequestEntity> MergeRequests { get; } = [];

    /// <summary><c>merge</c>, <c>rebase_merge</c> or <c>ff</c> (GitLab's default is <c>merge</c>).</summary>
    public string MergeMethod { get; set; } = "merge";

    /// <summary>Approvals an MR needs before it may merge: an approval rule, a Premium feature (0 = none, as on Free).</summary>
    public int ApprovalsRequired { get; set; }
}

internal sealed class MergeRequestEntity
{
    public required int Id { get; init; }
    public required int Iid { get; init; }
    public required ProjectEntity Project { get; init; }
    public required UserEntity Author { get; init; }
    public required string Title { get; set; }
    public string Description { get; set; } = "";
    public string State { get; set; } = "opened";
    public required string SourceBranch { get; init; }
    public required string TargetBranch { get; set; }
    public List<LabelEntity> Labels { get; } = [];
    public List<UserEntity> Assignees { get; } = [];
    public List<UserEntity> Reviewers { get; } = [];
    public required string Sha { get; set; }
    public required string BaseSha { get; set; }
    public string? MergeStatusOverride { get; set; }
    public bool HasConflicts { get; set; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? LastEditedAt { get; set; }
    public UserEntity? LastEditedBy { get; set; }
    public UserEntity? UpdatedBy { get; set; }
    public DateTimeOffset? MergedAt { get; set; }
    public UserEntity? MergedBy { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public UserEntity? ClosedBy { get; set; }
    public List<NoteEntity> Notes { get; } = [];
    public List<LabelEventEntity> LabelEvents { get; } = [];
    public HashSet<UserEntity> ApprovedBy { get; } = [];

    public bool Draft => DraftTitle.IsDraft(Title);

    public int StateId => State switch
    {
        "opened" => 1,
        "closed" => 2,
        "merged" => 3,
        _ => 4,
    };

    /// <summary>GitLab computes this on read, in its order of checks (see <see cref="Mergeability"/>).</summary>
    public string DetailedMergeStatus => Mergeability.DetailedStatus(this);

    public string MergeStatus => Mergeability.MergeStatus(this);
}

internal sealed class NoteEntity
{
    public required int Id { get; init; }
    public required MergeRequestEntity MergeRequest { get; init; }
    public required UserEntity Author { get; init; }
    public required string Body { get; set; }
    public required bool System { get; init; }
    public bool Internal { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class LabelEventEntity
{
    public required int Id { get; init; }
    public required UserEntity User { get; init; }
    public required MergeRequestEntity MergeRequest { get; init; }
    public required LabelEntity Label { get; init; }
    public required string Action { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

internal sealed class HookEntity
{
    /// <summary>Consecutive failures before a hook is disabled for a while (WebHooks::AutoDisabling, docs/gitlab-behaviour.md §1.6).</summary>
    public const int TemporarilyDisabledFailureThreshold = 3;

    /// <summary>Consecutive failures after which a hook stays disabled until re-enabled by hand.</summary>
    public const int PermanentlyDisabledFailureThreshold = 39;

    public static readonly TimeSpan InitialBackoff = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromDays(1);

    public required int Id { get; init; }
    public required string Url { get; set; }

    /// <summary>The secret token: sent as <c>X-Gitlab-Token</c>, never returned by the API.</summary>
    public string? Token { get; set; }
    public ProjectEntity? Project { get; init; }
    public GroupEntity? Group { get; init; }
    public required HookEvents Events { get; set; }
    public bool EnableSslVerification { get; set; } = true;
    public DateTimeOffset CreatedAt { get; init; }
    public int RecentFailures { get; set; }
    public DateTimeOffset? DisabledUntil { get; set; }

    public bool Covers(ProjectEntity project) =>
        Project is not null ? Project.Id == project.Id : project.Namespace.SelfAndAncestors().Any(g => g.Id == Group!.Id);

    public bool PermanentlyDisabled => RecentFailures > PermanentlyDisabledFailureThreshold;

    public bool TemporarilyDisabled(DateTimeOffset now) =>
        !PermanentlyDisabled && RecentFailures > TemporarilyDisabledFailureThreshold && DisabledUntil is { } until && until >= now;

    public bool Executable(DateTimeOffset now) => !PermanentlyDisabled && !TemporarilyDisabled(now);

    /// <summary>GitLab's <c>alert_status</c>: <c>executable</c>, <c>temporarily_disabled</c> or <c>disabled</c>.</summary>
    public string AlertStatus(DateTimeOffset now) =>
        TemporarilyDisabled(now) ? "temporarily_disabled" : PermanentlyDisabled ? "disabled" : "executable";

    /// <summary>
    /// A failed delivery (4xx/5xx, timeout, connection error): the 4th consecutive failure disables the hook for
    /// 1 minute, each further one doubles that (at most a day), the 40th disables it for good (docs/gitlab-behaviour.md §1.6).
    /// </summary>
    public void RecordFailure(DateTimeOffset now)
    {
        RecentFailures++;
        if (PermanentlyDisabled)
        {
            DisabledUntil = null;
        }
        else if (RecentFailures > TemporarilyDisabledFailureThreshold)
        {
            var backoff = InitialBackoff * Math.Pow(2, RecentFailures - TemporarilyDisabledFailureThreshold - 1);
            DisabledUntil = now + (backoff < MaxBackoff ? backoff : MaxBackoff);
        }
    }

    /// <summary>Any 2xx/3xx answer makes the hook healthy again.</summary>
    public void RecordSuccess()
    {
        RecentFailures = 0;
        DisabledUntil = null;
    }
}

/// <summary>A personal access token: its user is in <see cref="GitLabState.Tokens"/>, its details here.</summary>
internal sealed class TokenEntity
{
    public required int Id { get; init; }
    public required string Name { get; init; }
    public required UserEntity User { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    public bool Has(string scope) => Scopes.Contains(scope, StringComparer.Ordinal);
}

/// <summary>GitLab's draft rule: a title prefix, <c>[Draft]</c>, <c>(Draft)</c> or <c>Draft:</c>, case-insensitive.</summary>
internal static class DraftTitle
{
    private static readonly string[] Prefixes = ["[draft]", "(draft)", "draft:"];

    public static bool IsDraft(string title) =>
        Prefixes.Any(p => title.TrimStart().StartsWith(p, StringComparison.OrdinalIgnoreCase));

    public static string Strip(string title)
    {
        var t = title.TrimStart();
        var stripped = true;
        while (stripped)
        {
            stripped = false;
            foreach (var p in Prefixes)
            {
                if (t.StartsWith(p, StringComparison.OrdinalIgnoreCase))
                {
                    t = t[p.Length..].TrimStart();
                    stripped = true;
                }
            }
        }

        return t;
    }

    public static string Apply(string title, bool draft) => draft
        ? IsDraft(title) ? title : $"Draft: {title}"
        : Strip(title);
}
