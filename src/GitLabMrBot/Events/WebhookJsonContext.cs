using System.Text.Json.Serialization;

namespace GitLabMrBot.Events;

/// <summary>
/// The one source-generated JSON context for webhook payloads. Nullable annotations are enforced, so a <c>null</c> in a
/// member the records declare non-nullable (<c>project</c>, <c>object_attributes</c>, a label's <c>title</c>) fails the
/// read like a missing one, instead of reaching a handler as null.
/// </summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    Converters = [typeof(GitLabTimestampConverter)])]
[JsonSerializable(typeof(MergeRequestEvent))]
[JsonSerializable(typeof(PushEvent))]
[JsonSerializable(typeof(NoteEvent))]
public sealed partial class WebhookJsonContext : JsonSerializerContext;

