using System.Globalization;
using System.Text.Json;
using GitLabMrBot.Policies;

namespace GitLabMrBot.Cli;

/// <summary>
/// Builds a <see cref="MergeRequestSnapshot"/> from a Merge Request Hook or a Note Hook (on an MR)
/// payload, for <c>simulate</c>: no network, so diffs come from <c>--changed-file</c>, the only commit
/// message known is the last commit's, and label provenance is unknown (every label counts as a human's).
/// </summary>
internal static class EventSnapshotReader
{
    public static MergeRequestSnapshot Read(JsonElement payload, IReadOnlyList<ChangedFile> changedFiles, string? authorUsername, out IReadOnlyList<string> notes)
    {
        var found = new List<string>();
        notes = found;
        if (payload.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("the event is not a JSON object");
        }
        var kind = Text(payload, "object_kind");
        JsonElement mr;
        switch (kind)
        {
            case "merge_request":
                mr = Object(payload, "object_attributes") ?? throw new FormatException("a merge_request event without object_attributes");
                break;
            case "note":
                mr = Object(payload, "merge_request") ?? throw new FormatException("this note is not on a merge request (no merge_request object)");
                break;
            default:
                throw new FormatException($"object_kind '{kind ?? "(missing)"}' is not a merge request or note event");
        }

        var projectId = Number(Object(payload, "project"), "id") ?? Number(payload, "project_id") ?? Number(mr, "target_project_id")
            ?? throw new FormatException("the event has no project id");
        var iid = Number(mr, "iid") ?? throw new FormatException("the event has no merge request iid");
        var authorId = Number(mr, "author_id") ?? 0;

        var author = authorUsername;
        if (author is null)
        {
            var user = Object(payload, "user");
            if (user is not null && Number(user, "id") == authorId)
            {
                author = Text(user.Value, "username");
            }
            else
            {
                found.Add($"author username unknown offline (author_id {authorId} is not the event's user): pass --author USERNAME for author conditions");
            }
        }

        var labels = Array(mr, "labels") ?? Array(payload, "labels");
        var labelNames = labels?.EnumerateArray()
            .Select(l => l.ValueKind == JsonValueKind.Object ? Text(l, "title") : l.ValueKind == JsonValueKind.String ? l.GetString() : null)
            .OfType<string>()
            .ToList() ?? [];

        var lastCommit = Object(mr, "last_commit");
        var commitMessage = lastCommit is null ? null : Text(lastCommit.Value, "message");
        var detailed = Text(mr, "detailed_merge_status");

        if (changedFiles.Count == 0)
        {
            found.Add("no --changed-file given: file and size rules see an MR without changes");
        }
        if (labelNames.Count > 0)
        {
            found.Add("label provenance unknown offline: the labels already on the MR count as a human's (never removed)");
        }

        return new MergeRequestSnapshot
        {
            ProjectId = projectId,
            Iid = iid,
            Title = Text(mr, "title") ?? "",
            Description = Text(mr, "description") ?? "",
            SourceBranch = Text(mr, "source_branch") ?? "",
            TargetBranch = Text(mr, "target_branch") ?? "",
            AuthorId = authorId,
            AuthorUsername = author ?? "",
            Draft = Bool(mr, "draft") ?? Bool(mr, "work_in_progress") ?? false,
            State = Text(mr, "state") ?? "opened",
            Labels = labelNames,
            ChangedFiles = changedFiles,
            CommitMessages = commitMessage is null ? [] : [commitMessage],
            HeadSha = lastCommit is null ? null : Text(lastCommit.Value, "id"),
            DetailedMergeStatus = detailed,
            HasConflicts = detailed == "conflict",
            WebUrl = Text(mr, "url") ?? "",
        };
    }

    /// <summary><c>PATH</c> or <c>PATH:ADDED:DELETED</c> (line counts for size rules).</summary>
    public static ChangedFile ParseChangedFile(string text) =>
        TryParseChangedFile(text, out var file, out var error) ? file : throw new FormatException(error);

    /// <summary>
    /// <c>PATH</c> or <c>PATH:ADDED:DELETED</c>. A value with a colon must end in two whole numbers: <c>web/app.css:x:y</c>
    /// or <c>web/app.css:30</c> is a mistyped count, not a file of that name (a path with a colon needs both counts).
    /// </summary>
    public static bool TryParseChangedFile(string text, out ChangedFile file, out string? error)
    {
        var parts = text.Split(':');
        if (parts.Length == 1 && text.Length > 0)
        {
            (file, error) = (new ChangedFile(text), null);
            return true;
        }
        if (parts.Length >= 3
            && int.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out var added)
            && int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var deleted)
            && string.Join(':', parts[..^2]) is { Length: > 0 } path)
        {
            (file, error) = (new ChangedFile(path, added, deleted), null);
            return true;
        }
        file = null!;
        error = $"--changed-file '{text}' is not PATH[:ADDED:DELETED]: give the path alone, or with whole numbers of added and deleted lines (e.g. web/app.css:30:5); a path that contains ':' needs both counts";
        return false;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Number(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    private static bool? Bool(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;

    private static JsonElement? Object(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    private static JsonElement? Array(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value : null;
}
