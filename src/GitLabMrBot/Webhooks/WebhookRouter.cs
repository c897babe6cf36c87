using System.Security.Cryptography;
using System.Text.Json;
using GitLabMrBot.Events;

namespace GitLabMrBot.Webhooks;

public enum WebhookRouteOutcome
{
    /// <summary>Stored and processed: <see cref="WebhookRoute.Subject"/> is set.</summary>
    Handled,

    /// <summary>Valid, but not an event the bot acts on: answered 202 <c>ignored</c>.</summary>
    Ignored,

    /// <summary>A handled event whose routing fields are missing or of the wrong type: answered 400.</summary>
    Invalid,
}

/// <summary>Where a delivery goes. <see cref="Detail"/> is the reason for an ignored or invalid delivery.</summary>
public readonly record struct WebhookRoute(
    WebhookRouteOutcome Outcome,
    string EventName,
    WebhookEventKind Kind = default,
    string? Subject = null,
    string? Detail = null);

/// <summary>
/// Decides, from the <c>X-Gitlab-Event</c> header and the parsed body, whether a delivery is handled,
/// ignored or invalid, and which subject (the unit of ordering and coalescing) it belongs to.
/// Pure: reads only the few routing fields, never deserializes the payload.
/// </summary>
public static class WebhookRouter
{
    public static WebhookRoute Route(string eventHeader, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Invalid(eventHeader, $"The body must be a JSON object, not {Describe(root.ValueKind)}.");
        }

        string? objectKind = null;
        if (root.TryGetProperty("object_kind"u8, out var objectKindElement))
        {
            if (objectKindElement.ValueKind != JsonValueKind.String)
            {
                return Invalid(eventHeader, "object_kind must be a string.");
            }
            objectKind = objectKindElement.GetString();
        }

        WebhookEventKind kind;
        if (eventHeader == GitLabEvents.SystemHook)
        {
            // System hooks carry MR/push payloads next to instance events (user_create, …) that have no object_kind.
            if (GitLabEvents.KindOfObjectKind(objectKind) is not { } systemKind)
            {
                var name = objectKind ?? EventName(root) ?? GitLabEvents.SystemHook;
                return Ignored(name, $"System hook event '{name}' is not handled.");
            }
            kind = systemKind;
        }
        else
        {
            if (GitLabEvents.KindOfHeader(eventHeader) is not { } headerKind)
            {
                return Ignored(eventHeader, $"'{eventHeader}' events are not handled; the bot handles merge request, push and merge request note events.");
            }
            kind = headerKind;
            if (objectKind is null)
            {
                return Invalid(eventHeader, "object_kind is missing.");
            }
            if (objectKind != GitLabEvents.ObjectKindOf(kind))
            {
                return Invalid(eventHeader, $"object_kind '{objectKind}' contradicts X-Gitlab-Event '{eventHeader}'.");
            }
        }

        return kind switch
        {
            WebhookEventKind.MergeRequest => RouteMergeRequest(eventHeader, root),
            WebhookEventKind.Note => RouteNote(eventHeader, root),
            _ => RoutePush(eventHeader, root),
        };
    }

    /// <summary>
    /// The delivery's own id: <c>webhook-id</c> when present, else <c>Idempotency-Key</c>. GitLab sends both with the
    /// same value on a signed delivery (docs/gitlab-behaviour.md §1.7), but only <c>webhook-id</c> is covered by the
    /// signature: a replay with the <c>Idempotency-Key</c> changed or removed keeps it, and stays a duplicate.
    /// </summary>
    public static string? DeliveryId(string? webhookId, string? idempotencyKey) =>
        !string.IsNullOrEmpty(webhookId) ? webhookId : idempotencyKey;

    /// <summary>
    /// The key that recognises a redelivery: the <c>Idempotency-Key</c> header (the same across GitLab's retries
    /// and "Resend Request"); else <c>X-Gitlab-Event-UUID</c> plus the object's id and <c>updated_at</c>
    /// (the UUID alone is shared by recursive hooks); else a hash of the body.
    /// </summary>
    public static string DedupeKey(string? idempotencyKey, string? eventUuid, WebhookRoute route, JsonElement root, ReadOnlySpan<byte> body)
    {
        if (!string.IsNullOrEmpty(idempotencyKey))
        {
            return "ik:" + idempotencyKey;
        }

        if (!string.IsNullOrEmpty(eventUuid) && ObjectVersion(route.Kind, root) is { } version)
        {
            return $"eu:{eventUuid}:{route.Subject}:{version}";
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, hash);
        return "sha256:" + Convert.ToHexStringLower(hash);
    }

    private static WebhookRoute RouteMergeRequest(string eventHeader, JsonElement root)
    {
        if (!TryGetObject(root, "project"u8, out var project) || !TryGetInt64(project, "id"u8, out var projectId))
        {
            return Invalid(eventHeader, "project.id must be present and a whole number.");
        }
        if (!TryGetObject(root, "object_attributes"u8, out var attributes) || !TryGetInt64(attributes, "iid"u8, out var iid))
        {
            return Invalid(eventHeader, "object_attributes.iid must be present and a whole number.");
        }
        return Handled(eventHeader, WebhookEventKind.MergeRequest, $"mr:{projectId}:{iid}");
    }

    private static WebhookRoute RouteNote(string eventHeader, JsonElement root)
    {
        if (!TryGetObject(root, "object_attributes"u8, out var attributes)
            || !attributes.TryGetProperty("noteable_type"u8, out var noteableType)
            || noteableType.ValueKind != JsonValueKind.String)
        {
            return Invalid(eventHeader, "object_attributes.noteable_type must be present and a string.");
        }
        if (!noteableType.ValueEquals("MergeRequest"u8))
        {
            return Ignored(eventHeader, $"Notes on {noteableType.GetString()} are not handled; only notes on merge requests are.");
        }
        if (!TryGetProjectId(root, preferProjectObject: true, out var projectId))
        {
            return Invalid(eventHeader, "project.id (or project_id) must be present and a whole number.");
        }
        if (!TryGetObject(root, "merge_request"u8, out var mergeRequest) || !TryGetInt64(mergeRequest, "iid"u8, out var iid))
        {
            return Invalid(eventHeader, "merge_request.iid must be present and a whole number.");
        }
        return Handled(eventHeader, WebhookEventKind.Note, $"mr:{projectId}:{iid}");
    }

    private static WebhookRoute RoutePush(string eventHeader, JsonElement root)
    {
        if (!TryGetProjectId(root, preferProjectObject: false, out var projectId))
        {
            return Invalid(eventHeader, "project_id (or project.id) must be present and a whole number.");
        }
        if (!root.TryGetProperty("ref"u8, out var reference) || reference.ValueKind != JsonValueKind.String)
        {
            return Invalid(eventHeader, "ref must be present and a string.");
        }
        // Neither a tag nor a deleted branch can move an open MR: acknowledged here, so they cost no work at all.
        var gitRef = reference.GetString();
        if (GitRefs.BranchName(gitRef) is null)
        {
            return Ignored(eventHeader, $"Push to '{gitRef}' is not a branch push; only branch pushes are handled.");
        }
        if (GitRefs.IsZeroSha(StringOrNull(root, "after"u8)))
        {
            return Ignored(eventHeader, $"Push deleting '{gitRef}' is not handled: a deleted branch has no open merge requests to re-check.");
        }
        return Handled(eventHeader, WebhookEventKind.Push, $"push:{projectId}:{gitRef}");
    }

    // What changes between two real events about one object, so that a repeated event UUID alone is not a duplicate.
    private static string? ObjectVersion(WebhookEventKind kind, JsonElement root)
    {
        if (kind == WebhookEventKind.Push)
        {
            return StringOrNull(root, "after"u8) ?? StringOrNull(root, "checkout_sha"u8);
        }
        if (!TryGetObject(root, "object_attributes"u8, out var attributes) || !TryGetInt64(attributes, "id"u8, out var id))
        {
            return null;
        }
        return $"{id}:{StringOrNull(attributes, "updated_at"u8)}";
    }

    private static bool TryGetProjectId(JsonElement root, bool preferProjectObject, out long projectId) =>
        preferProjectObject
            ? TryGetProjectObjectId(root, out projectId) || TryGetInt64(root, "project_id"u8, out projectId)
            : TryGetInt64(root, "project_id"u8, out projectId) || TryGetProjectObjectId(root, out projectId);

    private static bool TryGetProjectObjectId(JsonElement root, out long projectId)
    {
        projectId = 0;
        return TryGetObject(root, "project"u8, out var project) && TryGetInt64(project, "id"u8, out projectId);
    }

    private static bool TryGetObject(JsonElement parent, ReadOnlySpan<byte> name, out JsonElement value) =>
        parent.TryGetProperty(name, out value) && value.ValueKind == JsonValueKind.Object;

    private static bool TryGetInt64(JsonElement parent, ReadOnlySpan<byte> name, out long value)
    {
        value = 0;
        return parent.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out value);
    }

    private static string? StringOrNull(JsonElement parent, ReadOnlySpan<byte> name) =>
        parent.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String ? element.GetString() : null;

    private static string? EventName(JsonElement root) => StringOrNull(root, "event_name"u8);

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "empty",
    };

    private static WebhookRoute Handled(string eventName, WebhookEventKind kind, string subject) =>
        new(WebhookRouteOutcome.Handled, eventName, kind, subject);

    private static WebhookRoute Ignored(string eventName, string reason) =>
        new(WebhookRouteOutcome.Ignored, eventName, Detail: reason);

    private static WebhookRoute Invalid(string eventName, string detail) =>
        new(WebhookRouteOutcome.Invalid, eventName, Detail: detail);
}
