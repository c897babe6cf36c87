using GitLabMrBot.GitLab;

namespace GitLabMrBot.Cli;

/// <summary>The webhook the bot needs: where it points, which events it carries, and how an existing one compares.</summary>
internal static class BotWebhook
{
    public const string Path = "/webhooks/gitlab";

    /// <summary>
    /// <c>PUBLIC_URL/webhooks/gitlab</c> from the bot's public base URL (a URL that already ends with
    /// <c>/webhooks/gitlab</c> is taken as is). Only absolute http(s) URLs without query or fragment.
    /// </summary>
    public static bool TryParseHookUrl(string publicUrl, out string hookUrl, out string error)
    {
        hookUrl = "";
        error = "";
        if (!Uri.TryCreate(publicUrl.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            error = $"--url must be the bot's public http(s) URL, e.g. https://mrbot.example.com (got '{publicUrl}').";
            return false;
        }
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            error = "--url must have no query or fragment: the hook URL is --url followed by /webhooks/gitlab.";
            return false;
        }
        var basePath = uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        hookUrl = basePath.EndsWith(Path, StringComparison.Ordinal) ? basePath : basePath + Path;
        return true;
    }

    /// <summary>
    /// Exactly the bot's hook URL, character for character. GitLab compares URLs that way: sending any other
    /// spelling in an update is a URL change, which clears the secret token unless the token is sent too
    /// (docs/gitlab-behaviour.md §3.6).
    /// </summary>
    public static bool Matches(GitLabHook hook, string hookUrl) =>
        string.Equals(hook.Url, hookUrl, StringComparison.Ordinal);

    /// <summary>
    /// The bot's hook URL written differently (a trailing slash, letter case): it reaches the bot, but moving it to
    /// the exact URL is a URL change to GitLab, so only with the token.
    /// </summary>
    public static bool IsSpelledDifferently(GitLabHook hook, string hookUrl) =>
        !Matches(hook, hookUrl) && string.Equals(Normalize(hook.Url), Normalize(hookUrl), StringComparison.OrdinalIgnoreCase);

    /// <summary>Any hook that delivers to the bot: <see cref="Matches"/> or <see cref="IsSpelledDifferently"/>.</summary>
    public static bool PointsAtBot(GitLabHook hook, string hookUrl) =>
        Matches(hook, hookUrl) || IsSpelledDifferently(hook, hookUrl);

    /// <summary>What differs from the hook the bot needs: events off (internal notes included), SSL verification off on an https URL. Empty when right.</summary>
    public static IReadOnlyList<string> Differences(GitLabHook hook)
    {
        var found = new List<string>();
        if (!hook.MergeRequestsEvents)
        {
            found.Add("merge request events off");
        }
        if (!hook.PushEvents)
        {
            found.Add("push events off");
        }
        if (!hook.NoteEvents)
        {
            found.Add("comment events off");
        }
        if (hook.ConfidentialNoteEvents != true)
        {
            // Commands in internal notes come only through this event (docs/gitlab-behaviour.md §1.8).
            found.Add("internal note events off");
        }
        if (!hook.EnableSslVerification && hook.Url.StartsWith("https:", StringComparison.OrdinalIgnoreCase))
        {
            found.Add("SSL verification off");
        }
        return found;
    }

    /// <summary>
    /// The desired hook. <paramref name="token"/> null keeps an existing hook's secret token only when its URL is already
    /// exactly <paramref name="hookUrl"/> (docs/gitlab-behaviour.md §3.6); a caller moving a hook must pass the token.
    /// </summary>
    public static HookBody Body(string hookUrl, string? token) => new()
    {
        Url = hookUrl,
        Token = token,
        MergeRequestsEvents = true,
        PushEvents = true,
        NoteEvents = true,
        ConfidentialNoteEvents = true,
        EnableSslVerification = true,
    };

    /// <summary>What the bot's hook carries, for messages.</summary>
    public const string EventsDescription = "merge request, push, comment and internal note events";

    /// <summary>
    /// A secret token from the OS's cryptographic RNG: 32 bytes as hex, so it survives shells and
    /// GITLAB_WEBHOOK_SECRET's comma-separated list unquoted.
    /// </summary>
    public static string NewSecret() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// A secret the bot can be given: GITLAB_WEBHOOK_SECRET is a comma-separated list with entries trimmed,
    /// and GitLab sends the token in a header, so commas, whitespace and control characters are refused.
    /// </summary>
    public static bool IsUsableSecret(string secret) =>
        secret.Length > 0 && secret.All(c => c is > ' ' and < (char)127 && c != ',');

    /// <summary>GitLab disabled the hook after failing deliveries (docs/gitlab-behaviour.md §1.6); null when it is enabled.</summary>
    public static string? DisabledReason(GitLabHook hook, DateTimeOffset now)
    {
        if (hook.AlertStatus == GitLabHook.Disabled)
        {
            return "disabled by GitLab after repeated failed deliveries (permanently, until re-enabled)";
        }
        if (hook.AlertStatus == GitLabHook.TemporarilyDisabled || hook.DisabledUntil > now)
        {
            return hook.DisabledUntil is { } until
                ? $"temporarily disabled by GitLab after failed deliveries, until {until.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC"
                : "temporarily disabled by GitLab after failed deliveries";
        }
        return null;
    }

    /// <summary>404 (no such endpoint: GitLab Free/CE) or 403 (refused: unlicensed EE, or not Owner) on the group hooks API.</summary>
    public static bool GroupHooksUnavailable(GitLabApiException e) =>
        e.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Forbidden;

    private static string Normalize(string url) =>
        Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) ? uri.AbsoluteUri.TrimEnd('/') : url.Trim().TrimEnd('/');
}
