using System.Buffers;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using GitLabMrBot.Events;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GitLabMrBot.Webhooks;

/// <summary>Why a routed delivery cannot be stored: the field at fault (<c>object_attributes.title</c>) and the reason.</summary>
public sealed record PayloadProblem(string Field, string Detail)
{
    /// <summary>The 400 answer, with the field also as a <c>field</c> member so a sender's tooling can point at it.</summary>
    internal ProblemHttpResult ToResult() => TypedResults.Problem(
        title: "Bad request",
        detail: Detail,
        statusCode: StatusCodes.Status400BadRequest,
        extensions: new Dictionary<string, object?> { ["field"] = Field });
}

/// <summary>
/// The door's check that the worker can read what is about to be stored (issue 12, defect 3): the payload is read
/// with the very types and options the worker reads it with (<see cref="WebhookJsonContext"/>), so a delivery the
/// worker could never process (a field it reads missing, null or of the wrong type, invalid UTF-8) is answered 400
/// naming the field instead of being accepted and then failing its whole batch. Ids the API addresses an MR by must
/// be positive: GitLab never assigns 0 or a negative id or iid. Runs only for routed (handled) deliveries.
/// </summary>
public static partial class DeliveryPayloadCheck
{
    /// <summary>Null when the worker can read <paramref name="body"/> as <paramref name="kind"/>; otherwise the first problem found.</summary>
    public static PayloadProblem? Check(WebhookEventKind kind, ReadOnlySpan<byte> body) =>
        CheckUtf8(body) ?? CheckReadable(kind, body);

    /// <summary><see cref="Check"/> for a body already known to be valid UTF-8 (the webhook checks that before routing).</summary>
    public static PayloadProblem? CheckReadable(WebhookEventKind kind, ReadOnlySpan<byte> body)
    {
        try
        {
            return kind switch
            {
                WebhookEventKind.MergeRequest => CheckMergeRequest(JsonSerializer.Deserialize(body, WebhookJsonContext.Default.MergeRequestEvent)),
                WebhookEventKind.Note => CheckNote(JsonSerializer.Deserialize(body, WebhookJsonContext.Default.NoteEvent)),
                _ => CheckPush(JsonSerializer.Deserialize(body, WebhookJsonContext.Default.PushEvent)),
            };
        }
        catch (JsonException e)
        {
            return FromJsonException(e);
        }
    }

    /// <summary>
    /// Null when the whole body is valid UTF-8. For the whole body, not only the fields read: a string the bot does not read
    /// today may be read tomorrow, the router itself decodes strings, and GitLab only ever sends UTF-8 (JSON's own rule), so
    /// invalid bytes anywhere are a forgery or corruption, not an event. Needs a body that parsed as JSON, to name the field.
    /// </summary>
    public static PayloadProblem? CheckUtf8(ReadOnlySpan<byte> body)
    {
        if (Utf8.IsValid(body))
        {
            return null;
        }
        var at = FindInvalidUtf8(body);
        return new PayloadProblem(at, $"{at} is not valid UTF-8.");
    }

    [LoggerMessage(EventId = 1091, Level = LogLevel.Warning, Message = "Webhook rejected (400): the worker could not read {Event} field {Field}")]
    internal static partial void LogRejected(ILogger logger, string @event, string field);

    private static PayloadProblem? CheckMergeRequest(MergeRequestEvent? payload) =>
        payload is null ? Body()
        : payload.Project.Id <= 0 ? NotPositive("project.id")
        : payload.ObjectAttributes.Iid <= 0 ? NotPositive("object_attributes.iid")
        : null;

    private static PayloadProblem? CheckNote(NoteEvent? payload)
    {
        if (payload is null)
        {
            return Body();
        }
        // The same precedence as the router and NoteEvent.EffectiveProjectId: project.id, else project_id.
        if (payload.Project is { } project ? project.Id <= 0 : payload.ProjectId is not > 0)
        {
            return payload.Project is null && payload.ProjectId is null ? Missing("project_id") : NotPositive(payload.Project is null ? "project_id" : "project.id");
        }
        return payload.MergeRequest is not { } mergeRequest ? Missing("merge_request")
            : mergeRequest.Iid <= 0 ? NotPositive("merge_request.iid")
            : null;
    }

    private static PayloadProblem? CheckPush(PushEvent? payload)
    {
        if (payload is null)
        {
            return Body();
        }
        // The same precedence as the router and PushEvent.EffectiveProjectId: project_id, else project.id.
        if (payload.ProjectId is { } projectId ? projectId <= 0 : payload.Project is not { Id: > 0 })
        {
            return payload.ProjectId is null && payload.Project is null ? Missing("project_id") : NotPositive(payload.ProjectId is null ? "project.id" : "project_id");
        }
        return null;
    }

    private static PayloadProblem FromJsonException(JsonException e)
    {
        var field = FieldOf(e.Path);
        // System.Text.Json names the object that lacks a required member, and the member only in its message.
        if (MissingMember().Match(e.Message) is { Success: true } missing)
        {
            return Missing(field.Length == 0 ? missing.Groups["name"].Value : $"{field}.{missing.Groups["name"].Value}");
        }
        // The sender's value is never echoed: the field is enough to find it, and the answer stays free of injected text.
        return new PayloadProblem(
            field.Length == 0 ? "(body)" : field,
            $"{(field.Length == 0 ? "The body" : field)} is null or of a type the bot cannot read.");
    }

    /// <summary><c>$.object_attributes.title</c> → <c>object_attributes.title</c>; <c>$</c> → empty.</summary>
    private static string FieldOf(string? path) =>
        path is null or "$" ? "" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    /// <summary>The path of the first string or property name that is not valid UTF-8 (the body is known to be valid JSON).</summary>
    private static string FindInvalidUtf8(ReadOnlySpan<byte> body)
    {
        // One frame per open object or array: the name of the member being read, or the index of the element.
        var frames = new List<(bool Array, int Index, string? Name)>();
        var reader = new Utf8JsonReader(body);
        try
        {
            while (reader.Read())
            {
                if (frames.Count > 0 && frames[^1].Array && reader.TokenType is not (JsonTokenType.EndArray or JsonTokenType.EndObject))
                {
                    frames[^1] = frames[^1] with { Index = frames[^1].Index + 1 };
                }
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        frames.Add((reader.TokenType == JsonTokenType.StartArray, -1, null));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        if (!Utf8.IsValid(reader.ValueSpan))
                        {
                            var parent = Render(frames, frames.Count - 1);
                            return parent.Length == 0 ? "(a member name)" : $"{parent}.(a member name)";
                        }
                        frames[^1] = frames[^1] with { Name = reader.GetString() };
                        break;
                    case JsonTokenType.String when !Utf8.IsValid(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan):
                        var at = Render(frames, frames.Count);
                        return at.Length == 0 ? "(body)" : at;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not expected (the body parsed), but the answer is 400 either way.
        }
        return "(body)";
    }

    private static string Render(List<(bool Array, int Index, string? Name)> frames, int count)
    {
        var path = new System.Text.StringBuilder();
        for (var i = 0; i < count; i++)
        {
            if (frames[i].Array)
            {
                path.Append('[').Append(frames[i].Index).Append(']');
            }
            else
            {
                path.Append(path.Length == 0 ? "" : ".").Append(frames[i].Name);
            }
        }
        return path.ToString();
    }

    private static PayloadProblem Body() => new("(body)", "The body is null.");

    private static PayloadProblem Missing(string field) => new(field, $"{field} is required.");

    private static PayloadProblem NotPositive(string field) => new(field, $"{field} must be a positive whole number.");

    [GeneratedRegex("missing required properties including: '(?<name>[^']+)'", RegexOptions.CultureInvariant)]
    private static partial Regex MissingMember();
}
