using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace GitLabMrBot.Configuration;

/// <summary>
/// The one reading of GitLab's base URL, whether it comes from <c>GITLAB_URL</c> or from <c>gitlab.url</c> in
/// bot.config.json: serve, the command line and the config loader must agree on what is valid.
/// </summary>
public static class GitLabBaseUrl
{
    /// <summary>An absolute http(s) URL; a trailing slash is dropped so a path prefix (<c>/gitlab/</c>) reads the same either way.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out Uri? url)
    {
        url = Absolute(text) is { } uri && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) ? uri : null;
        return url is not null;
    }

    /// <summary>True for the documentation's example host (<c>example.com</c> and below), whatever the scheme.</summary>
    public static bool IsDocumentationExample(string text) =>
        Absolute(text) is { } uri
        && (uri.Host.Equals("example.com", StringComparison.OrdinalIgnoreCase) || uri.Host.EndsWith(".example.com", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// <c>gitlab.url</c> as written in the config file, or null when the file, the property or a string there is missing.
    /// Only this property is read, so a config with other errors still yields it; the loader validates the rest.
    /// </summary>
    public static string? ReadFromConfigFile(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("gitlab", out var gitlab) && gitlab.ValueKind == JsonValueKind.Object
                && gitlab.TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.String
                && !string.IsNullOrWhiteSpace(url.GetString())
                ? url.GetString()!.Trim()
                : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static Uri? Absolute(string text) =>
        Uri.TryCreate(text.TrimEnd('/'), UriKind.Absolute, out var uri) ? uri : null;
}
