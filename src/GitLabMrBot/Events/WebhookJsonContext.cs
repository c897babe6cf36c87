using System.Text.Json.Serialization;

namespace GitLabMrBot.Events;

/// <summary>The one source-generated JSON context for webhook payloads.</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(GitLabTimestampConverter)])]
[JsonSerializable(typeof(MergeRequestEvent))]
[JsonSerializable(typeof(PushEvent))]
[JsonSerializable(typeof(NoteEvent))]
public sealed partial class WebhookJsonContext : JsonSerializerContext;

