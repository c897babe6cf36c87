using System.Globalization;
using System.Text.Json;

namespace GitLabMrBot.GitLab;

/// <summary>Pure helpers for GitLab URLs, pagination headers and error bodies.</summary>
public static class GitLabPaths
{
    /// <summary>
    /// GitLab counts at most this many records for <c>x-total</c>; past it the header is left out (docs/gitlab-behaviour.md §3.8).
    /// </summary>
    public const int CountLimit = 10_000;

    /// <summary>
    /// A repository file path as GitLab's files API wants it: one fully escaped path segment,
    /// so <c>docs/a b.md</c> becomes <c>docs%2Fa%20b.md</c> (docs/gitlab-behaviour.md §3.4).
    /// </summary>
    public static string EncodeFilePath(string filePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        return Uri.EscapeDataString(filePath.TrimStart('/'));
    }

    /// <summary>
    /// A group or project id for a path segment: a numeric id as is, a full path escaped as one segment
    /// (<c>acme/platform</c> becomes <c>acme%2Fplatform</c>), as GitLab's namespaced paths require (docs/gitlab-behaviour.md §3).
    /// </summary>
    public static string EncodeNamespacePath(string idOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrPath);
        return Uri.EscapeDataString(idOrPath.Trim().Trim('/'));
    }

    /// <summary>
    /// The <c>x-next-page</c> header: the next page number, or null when it is absent or empty
    /// (the last page). A value that is not a positive number also ends the walk rather than looping.
    /// </summary>
    public static int? ParseNextPage(string? header) =>
        int.TryParse(header?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var page) && page > 0 ? page : null;

    /// <summary>
    /// GitLab's error text from a response body: <c>message</c> (a string, or an array/object of
    /// validation errors, rendered as compact JSON), else <c>error</c>, else the plain text (capped).
    /// </summary>
    public static string? ReadErrorMessage(string? content)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            return null;
        }
        try
        {
            var body = JsonSerializer.Deserialize(content, GitLabJsonContext.Default.GitLabErrorBody);
            if (body?.Message is { } message && message.ValueKind is not JsonValueKind.Null and not JsonValueKind.Undefined)
            {
                return message.ValueKind == JsonValueKind.String ? message.GetString() : message.GetRawText();
            }
            if (!string.IsNullOrEmpty(body?.Error))
            {
                return body.Error;
            }
        }
        catch (JsonException)
        {
            // Not JSON: a proxy page or Rack::Attack's plain "Retry later".
        }
        var text = content.Trim();
        return text.Length <= 300 ? text : string.Concat(text.AsSpan(0, 300), "…");
    }
}
