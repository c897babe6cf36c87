using System.Text.Json;
using System.Text.Json.Serialization;

namespace GitLabMrBot.GitLab;

// GitLab API shapes, modelling only what the bot reads (STYLE habit 5). Property names map to
// GitLab's snake_case through GitLabJsonContext; unknown fields are ignored.

public sealed record GitLabUser
{
    public required long Id { get; init; }
    public string Username { get; init; } = "";
    public string? Name { get; init; }
    public string? State { get; init; }
    public bool? Bot { get; init; }

    /// <summary>Shown only when the user made their email public.</summary>
    public string? PublicEmail { get; init; }
}

public sealed record GitLabNamespace
{
    public required long Id { get; init; }
    public string? Kind { get; init; }
    public string? FullPath { get; init; }
}

public sealed record GitLabProject
{
    public required long Id { get; init; }
    public string? PathWithNamespace { get; init; }
    public string? DefaultBranch { get; init; }
    public string? WebUrl { get; init; }
    public GitLabNamespace? Namespace { get; init; }

    /// <summary><c>merge</c>, <c>rebase_merge</c> or <c>ff</c>: the last two need a rebase when the target moved on (docs/gitlab-behaviour.md §3.2).</summary>
    public string? MergeMethod { get; init; }
}

/// <summary>
/// <c>GET /projects/:id/repository/files/:file_path?ref=</c> (docs/gitlab-behaviour.md): the git blob id, which changes exactly
/// when the content does, and the content base64-encoded.
/// </summary>
public sealed record GitLabRepositoryFile
{
    public required string BlobId { get; init; }
    public string? CommitId { get; init; }
    public string? Encoding { get; init; }
    public string? Content { get; init; }
}

public sealed record GitLabDiffRefs
{
    public string? BaseSha { get; init; }
    public string? HeadSha { get; init; }
    public string? StartSha { get; init; }
}

public sealed record GitLabMergeRequest
{
    public required long Id { get; init; }
    public required long Iid { get; init; }
    public long ProjectId { get; init; }
    public string Title { get; init; } = "";
    public string? Description { get; init; }

    /// <summary><c>opened</c>, <c>closed</c>, <c>locked</c> or <c>merged</c>.</summary>
    public string State { get; init; } = "";
    public bool Draft { get; init; }
    public string SourceBranch { get; init; } = "";
    public string TargetBranch { get; init; } = "";
    public IReadOnlyList<string> Labels { get; init; } = [];
    public GitLabUser? Author { get; init; }
    public IReadOnlyList<GitLabUser> Assignees { get; init; } = [];
    public IReadOnlyList<GitLabUser> Reviewers { get; init; } = [];
    public string? Sha { get; init; }
    public GitLabDiffRefs? DiffRefs { get; init; }
    public string? WebUrl { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    public string? DetailedMergeStatus { get; init; }

    /// <summary>The MR's notes that are not system notes, the bot's included (docs/gitlab-behaviour.md §3.4): 0 means the bot has none.</summary>
    public int? UserNotesCount { get; init; }

    /// <summary>GitLab's own conflict flag; may lag <see cref="DetailedMergeStatus"/> while mergeability is re-checked.</summary>
    public bool HasConflicts { get; init; }

    /// <summary>
    /// A string in GitLab's API: a number, or e.g. <c>"1000+"</c> when the diff overflowed GitLab's diff limits and only
    /// part of it was stored (docs/gitlab-behaviour.md §3.2). A number is accepted too.
    /// </summary>
    [JsonConverter(typeof(StringOrNumberConverter))]
    public string? ChangesCount { get; init; }

    /// <summary>Commits of the target branch the source branch lacks; only sent when asked for (<c>include_diverged_commits_count=true</c>).</summary>
    public int? DivergedCommitsCount { get; init; }
}

public sealed record GitLabDiff
{
    public string OldPath { get; init; } = "";
    public string NewPath { get; init; } = "";
    public string? Diff { get; init; }
    public bool NewFile { get; init; }
    public bool RenamedFile { get; init; }
    public bool DeletedFile { get; init; }
    public bool? GeneratedFile { get; init; }

    /// <summary>
    /// GitLab 18.4 and later: the patch reached the per-file limit and <see cref="Diff"/> is empty. Null on older
    /// versions, which empty the diff all the same (docs/gitlab-behaviour.md §3.2).
    /// </summary>
    public bool? TooLarge { get; init; }

    /// <summary>GitLab 18.4 and later: the patch was collapsed and <see cref="Diff"/> is empty. Null on older versions.</summary>
    public bool? Collapsed { get; init; }
}

/// <summary>Reads a JSON string or number as a string (GitLab sends <c>changes_count</c> as a string, e.g. <c>"1000+"</c>).</summary>
public sealed class StringOrNumberConverter : JsonConverter<string?>
{
    public override bool HandleNull => true;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan),
        _ => throw new JsonException($"Expected a string or a number, not {reader.TokenType}."),
    };

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }
}

public sealed record GitLabCommit
{
    public required string Id { get; init; }
    public string? ShortId { get; init; }
    public string? Title { get; init; }
    public string? Message { get; init; }
    public string? AuthorName { get; init; }
    public string? AuthorEmail { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
}

public sealed record GitLabNote
{
    public required long Id { get; init; }
    public string Body { get; init; } = "";
    public GitLabUser? Author { get; init; }
    public bool System { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
}

public sealed record GitLabLabelRef
{
    public required long Id { get; init; }
    public string Name { get; init; } = "";
    public string? Color { get; init; }
}

/// <summary>A resource label event: who added or removed a label, and when (docs/gitlab-behaviour.md §3.3).</summary>
public sealed record GitLabLabelEvent
{
    public required long Id { get; init; }
    public GitLabUser? User { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Null when the label was deleted since.</summary>
    public GitLabLabelRef? Label { get; init; }

    /// <summary><c>add</c> or <c>remove</c>.</summary>
    public string Action { get; init; } = "";
}

public sealed record GitLabLabel
{
    public required long Id { get; init; }
    public string Name { get; init; } = "";
    public string? Color { get; init; }
    public string? Description { get; init; }
}

public sealed record GitLabMember
{
    public required long Id { get; init; }
    public string Username { get; init; } = "";
    public string? Name { get; init; }
    public string? State { get; init; }
    public int AccessLevel { get; init; }
}

/// <summary>A repository branch (<c>GET /projects/:id/repository/branches/:branch</c>): its head commit.</summary>
public sealed record GitLabBranch
{
    public required string Name { get; init; }
    public GitLabCommit? Commit { get; init; }
}

public sealed record GitLabUserStatus
{
    public string? Emoji { get; init; }

    /// <summary><c>not_set</c> or <c>busy</c>.</summary>
    public string? Availability { get; init; }
    public string? Message { get; init; }
    public DateTimeOffset? ClearStatusAt { get; init; }
}

/// <summary>GitLab's error body: <c>{"message": …}</c> (a string, array or object) or <c>{"error": "…"}</c>.</summary>
public sealed record GitLabErrorBody
{
    public JsonElement? Message { get; init; }
    public string? Error { get; init; }
}

// Request bodies. Null fields are omitted (GitLabJsonContext), so a PUT only names what it changes.

public sealed record UpdateMergeRequestBody
{
    /// <summary>Comma-separated label names.</summary>
    public string? AddLabels { get; init; }

    /// <summary>Comma-separated label names.</summary>
    public string? RemoveLabels { get; init; }

    /// <summary>Replaces the whole list; empty unassigns everyone.</summary>
    public IReadOnlyList<long>? AssigneeIds { get; init; }

    /// <summary>Replaces the whole list; empty removes every reviewer.</summary>
    public IReadOnlyList<long>? ReviewerIds { get; init; }
}

public sealed record NoteBody(string Body);

public sealed record CreateLabelBody(string Name, string Color, string? Description);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(GitLabUser))]
[JsonSerializable(typeof(List<GitLabUser>))]
[JsonSerializable(typeof(GitLabProject))]
[JsonSerializable(typeof(GitLabMergeRequest))]
[JsonSerializable(typeof(List<GitLabMergeRequest>))]
[JsonSerializable(typeof(List<GitLabDiff>))]
[JsonSerializable(typeof(List<GitLabCommit>))]
[JsonSerializable(typeof(GitLabNote))]
[JsonSerializable(typeof(List<GitLabNote>))]
[JsonSerializable(typeof(List<GitLabLabelEvent>))]
[JsonSerializable(typeof(GitLabLabel))]
[JsonSerializable(typeof(List<GitLabLabel>))]
[JsonSerializable(typeof(GitLabMember))]
[JsonSerializable(typeof(List<GitLabMember>))]
[JsonSerializable(typeof(GitLabUserStatus))]
[JsonSerializable(typeof(GitLabBranch))]
[JsonSerializable(typeof(GitLabRepositoryFile))]
[JsonSerializable(typeof(GitLabErrorBody))]
[JsonSerializable(typeof(UpdateMergeRequestBody))]
[JsonSerializable(typeof(NoteBody))]
[JsonSerializable(typeof(CreateLabelBody))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(GitLabVersion))]
[JsonSerializable(typeof(GitLabTokenInfo))]
[JsonSerializable(typeof(GitLabGroup))]
[JsonSerializable(typeof(List<GitLabProject>))]
[JsonSerializable(typeof(GitLabHook))]
[JsonSerializable(typeof(List<GitLabHook>))]
[JsonSerializable(typeof(HookBody))]
public sealed partial class GitLabJsonContext : JsonSerializerContext;
