using System.Text.Json.Serialization;

namespace GitLabMrBot.Webhooks;

/// <summary>The body of the webhook's non-error answers: <c>accepted</c>, <c>duplicate</c>, <c>ignored</c>.</summary>
public sealed record WebhookAnswer(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("delivery")] string? Delivery = null,
    [property: JsonPropertyName("event")] string? Event = null,
    [property: JsonPropertyName("reason")] string? Reason = null);

/// <summary>Source-generated JSON for the webhook's answers.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WebhookAnswer))]
internal sealed partial class WebhookAnswerJsonContext : JsonSerializerContext;
