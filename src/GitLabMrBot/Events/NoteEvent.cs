using System.Text.Json;
using System.Text.Json.Serialization;

namespace GitLabMrBot.Events;

/// <summary>
/// <c>Note Hook</c> / <c>Confidential Note Hook</c> (<c>object_kind: note</c>). Only notes on merge requests
/// are stored; the MR context is the top-level <c>merge_request</c> object.
/// </summary>
public sealed record NoteEvent
{
    [JsonPropertyName("object_kind")]
    public required string ObjectKind { get; init; }

    [JsonPropertyName("user")]
    public EventUser? User { get; init; }

    [JsonPropertyName("project_id")]
    public long? ProjectId { get; init; }

    [JsonPropertyName("project")]
    public EventProject? Project { get; init; }

    [JsonPropertyName("object_attributes")]
    public required NoteAttributes ObjectAttributes { get; init; }

    /// <summary>Present for notes on merge requests. Its <c>last_commit</c> is not modelled (GitLab's own example has a malformed timestamp there).</summary>
    [JsonPropertyName("merge_request")]
    public NoteMergeRequest? MergeRequest { get; init; }

    /// <inheritdoc cref="EventUser.ExtensionData"/>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>The project id, from <c>project.id</c> or else <c>project_id</c>.</summary>
    [JsonIgnore]
    public long EffectiveProjectId => Project?.Id ?? ProjectId ?? throw new InvalidOperationException("Note event without a project id.");
}

/// <summary>The note's <c>object_attributes</c>.</summary>
public sealed record NoteAttributes
{
    [JsonPropertyName("id")]
    public required long Id { get; init; }

    [JsonPropertyName("note")]
    public string? Note { get; init; }

    /// <summary><c>MergeRequest</c>, <c>Issue</c>, <c>Commit</c> or <c>Snippet</c>.</summary>
    [JsonPropertyName("noteable_type")]
    public required string NoteableType { get; init; }

    [JsonPropertyName("system")]
    public bool? System { get; init; }

    [JsonPropertyName("author_id")]
    public long? AuthorId { get; init; }

    /// <summary><c>create</c> or <c>update</c> (GitLab 16.11+).</summary>
    [JsonPropertyName("action")]
    public string? Action { get; init; }

    [JsonPropertyName("updated_at")]
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <inheritdoc cref="EventUser.ExtensionData"/>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>The <c>merge_request</c> object of a note on an MR.</summary>
public sealed record NoteMergeRequest
{
    [JsonPropertyName("id")]
    public long? Id { get; init; }

    [JsonPropertyName("iid")]
    public required long Iid { get; init; }

    [JsonPropertyName("title")]
    public string? Title { get; init; }

    [JsonPropertyName("state")]
    public string? State { get; init; }

    [JsonPropertyName("source_branch")]
    public string? SourceBranch { get; init; }

    [JsonPropertyName("target_branch")]
    public string? TargetBranch { get; init; }

    /// <inheritdoc cref="EventUser.ExtensionData"/>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}
