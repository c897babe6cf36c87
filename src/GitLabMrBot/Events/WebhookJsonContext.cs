using System.Text.Json.Serialization;
using GitLabMrBot.Webhooks;

namespace GitLabMrBot.Events;

/// <summary>The one source-generated JSON context for webhook payloads and the webhook's own answers.</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(GitLabTimestampConverter)])]
[JsonSerializable(typeof(MergeRequestEvent))]
[JsonSerializable(typeof(PushEvent))]
[JsonSerializable(typeof(NoteEvent))]
[JsonSerializable(typeof(WebhookAnswer))]
public sealed partial class WebhookJsonContext : JsonSerializerContext;

