using System.Text.Json;
using System.Text.Json.Serialization;

namespace GitLabMrBot.Events;

/// <summary><c>Push Hook</c> (<c>object_kind: push</c>), modelling only what the bot reads.</summary>
public sealed record PushEvent
{
    [JsonPropertyName("object_kind")]
    public required string ObjectKind { get; init; }

    /// <summary><c>refs/heads/&lt;branch&gt;</c>.</summary>
    [JsonPropertyName("ref")]
    public required string Ref { get; init; }

    /// <summary>All zeros for a new branch.</summary>
    [JsonPropertyName("before")]
    public string? Before { get; init; }

    /// <summary>All zeros for a deleted branch.</summary>
    [JsonPropertyName("after")]
    public string? After { get; init; }

    /// <summary>Null when the branch was deleted.</summary>
    [JsonPropertyName("checkout_sha")]
    public string? CheckoutSha { get; init; }

    [JsonPropertyName("project_id")]
    public long? ProjectId { get; init; }

    [JsonPropertyName("project")]
    public EventProject? Project { get; init; }

    [JsonPropertyName("user_id")]
    public long? UserId { get; init; }

    [JsonPropertyName("user_username")]
    public string? UserUsername { get; init; }

    /// <summary>The newest 20 commits only; <see cref="TotalCommitsCount"/> is the real count.</summary>
    [JsonPropertyName("commits")]
    public IReadOnlyList<PushCommit>? Commits { get; init; }

    [JsonPropertyName("total_commits_count")]
    public int? TotalCommitsCount { get; init; }

    /// <inheritdoc cref="EventUser.ExtensionData"/>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>The project id, from <c>project_id</c> or else <c>project.id</c>.</summary>
    [JsonIgnore]
    public long EffectiveProjectId => ProjectId ?? Project?.Id ?? throw new InvalidOperationException("Push event without a project id.");

    /// <summary>The branch name when <see cref="Ref"/> is a branch, else null.</summary>
    [JsonIgnore]
    public string? Branch => GitRefs.BranchName(Ref);

    /// <summary>The push created the ref (<c>before</c> is all zeros).</summary>
    [JsonIgnore]
    public bool IsCreation => GitRefs.IsZeroSha(Before);

    /// <summary>The push deleted the ref (<c>after</c> is all zeros).</summary>
    [JsonIgnore]
    public bool IsDeletion => GitRefs.IsZeroSha(After);
}

/// <summary>One commit of a push. Its timestamp is not modelled: the bot never reads it.</summary>
public sealed record PushCommit
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }

    [JsonPropertyName("added")]
    public IReadOnlyList<string>? Added { get; init; }

    [JsonPropertyName("modified")]
    public IReadOnlyList<string>? Modified { get; init; }

    [JsonPropertyName("removed")]
    public IReadOnlyList<string>? Removed { get; init; }

    /// <inheritdoc cref="EventUser.ExtensionData"/>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}
