using System.Text.Json;
using System.Text.Json.Serialization;

namespace GitLabMrBot.Events;

/// <summary><c>Merge Request Hook</c> (<c>object_kind: merge_request</c>), modelling only what the bot reads.</summary>
public sealed record MergeRequestEvent
{
    [JsonPropertyName("object_kind")]
    public required string ObjectKind { get; init; }

    [JsonPropertyName("user")]
    public EventUser? User { get; init; }

    [JsonPropertyName("project")]
    public required EventProject Project { get; init; }

    [JsonPropertyName("object_attributes")]
    public required MergeRequestAttributes ObjectAttributes { get; init; }

    [JsonPropertyName("labels")]
    public IReadOnlyList<EventLabel>? Labels { get; init; }

    /// <summary>May be empty even for updates (docs/gitlab-behaviour.md §2.1): inspect it, never assume it.</summary>
    [JsonPropertyName("changes")]
    public MergeRequestChanges? Changes { get; init; }

    [JsonPropertyName("assignees")]
    public IReadOnlyList<EventUser>? Assignees { get; init; }

    [JsonPropertyName("reviewers")]
    public IReadOnlyList<EventUser>? Reviewers { get; init; }

    /// <inheritdoc cref="EventUser.ExtensionData"/>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>The MR's <c>object_attributes</c>.</summary>
public sealed record MergeRequestAttributes
{
    [JsonPropertyName("id")]
    public required long Id { get; init; }

    [JsonPropertyName("iid")]
    public required long Iid { get; init; }

    [JsonPropertyName("title")]
    public string? Title { get; init; }

    [JsonPropertyName("description")]
    public string? Description { get; init; }

    /// <summary><c>opened</c>, <c>closed</c>, <c>merged</c>, <c>locked</c>.</summary>
    [JsonPropertyName("state")]
    public string? State { get; init; }

    /// <summary><c>open</c>, <c>close</c>, <c>reopen</c>, <c>update</c>, <c>approved</c>, <c>unapproved</c>, <c>approval</c>, <c>unapproval</c>, <c>merge</c>.</summary>
    [JsonPropertyName("action")]
    public string? Action { get; init; }

    [JsonPropertyName("draft")]
    public bool? Draft { get; init; }

    [JsonPropertyName("source_branch")]
    public string? SourceBranch { get; init; }

    [JsonPropertyName("target_branch")]
    public string? TargetBranch { get; init; }

    [JsonPropertyName("author_id")]
    public long? AuthorId { get; init; }

    [JsonPropertyName("updated_at")]
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>An open set (docs/gitlab-behaviour.md §2.1), kept as text: e.g. <c>mergeable</c>, <c>conflict</c>, <c>need_rebase</c>.</summary>
    [JsonPropertyName("detailed_merge_status")]
    public string? DetailedMergeStatus { get; init; }

    [JsonPropertyName("labels")]
    public IReadOnlyList<EventLabel>? Labels { get; init; }

    /// <inheritdoc cref="EventUser.ExtensionData"/>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>The MR event's <c>changes</c>: the keys the bot reacts to; the rest stays raw.</summary>
public sealed record MergeRequestChanges
{
    [JsonPropertyName("title")]
    public Change<string>? Title { get; init; }

    [JsonPropertyName("description")]
    public Change<string>? Description { get; init; }

    [JsonPropertyName("draft")]
    public Change<bool?>? Draft { get; init; }

    [JsonPropertyName("target_branch")]
    public Change<string>? TargetBranch { get; init; }

    [JsonPropertyName("labels")]
    public Change<IReadOnlyList<EventLabel>>? Labels { get; init; }

    [JsonPropertyName("assignees")]
    public Change<IReadOnlyList<EventUser>>? Assignees { get; init; }

    [JsonPropertyName("reviewers")]
    public Change<IReadOnlyList<EventUser>>? Reviewers { get; init; }

    /// <inheritdoc cref="EventUser.ExtensionData"/>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}
