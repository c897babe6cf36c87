using System.Text.Json;
using System.Text.Json.Serialization;

namespace GitLabMrBot.Events;

/// <summary>A user as webhooks show it (<c>user</c>, <c>assignees[]</c>, <c>reviewers[]</c>).</summary>
public sealed record EventUser
{
    [JsonPropertyName("id")]
    public long? Id { get; init; }

    [JsonPropertyName("username")]
    public string? Username { get; init; }

    [JsonPropertyName("name")]
    public string? Name { get; init; }

    /// <summary>
    /// Every field the bot does not model. Settable only because System.Text.Json's source generator cannot
    /// bind extension data through <c>init</c>; nothing but the serializer writes it.
    /// </summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>The <c>project</c> object of a webhook payload.</summary>
public sealed record EventProject
{
    [JsonPropertyName("id")]
    public required long Id { get; init; }

    [JsonPropertyName("path_with_namespace")]
    public string? PathWithNamespace { get; init; }

    [JsonPropertyName("default_branch")]
    public string? DefaultBranch { get; init; }

    [JsonPropertyName("web_url")]
    public string? WebUrl { get; init; }

    /// <inheritdoc cref="EventUser.ExtensionData"/>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>A label as webhooks show it; only the title matters to policies.</summary>
public sealed record EventLabel
{
    [JsonPropertyName("id")]
    public long? Id { get; init; }

    [JsonPropertyName("title")]
    public required string Title { get; init; }

    /// <inheritdoc cref="EventUser.ExtensionData"/>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>One entry of an MR event's <c>changes</c>: <c>{"previous": …, "current": …}</c>.</summary>
public sealed record Change<T>
{
    [JsonPropertyName("previous")]
    public T? Previous { get; init; }

    [JsonPropertyName("current")]
    public T? Current { get; init; }
}
