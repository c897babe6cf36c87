namespace GitLabMrBot.Policies;

/// <summary>
/// The one format of the hidden markers that let the bot find its own notes again: an HTML comment GitLab does not
/// render, <c>&lt;!-- gitlab-mr-bot:KEY --&gt;</c>. Changing it orphans every note the bot wrote before.
/// </summary>
public static class NoteMarker
{
    private const string Open = "<!-- gitlab-mr-bot:";
    private const string Close = " -->";

    /// <summary>The marker of the one summary note per MR.</summary>
    public const string Summary = Open + "summary" + Close;

    /// <summary>The marker of a policy's comment. Not checked here: the config compiler refuses names that would end the comment.</summary>
    public static string ForPolicy(string policy) => Open + "policy:" + policy + Close;

    /// <summary>The marker for a named note, e.g. <c>&lt;!-- gitlab-mr-bot:summary --&gt;</c>.</summary>
    public static string For(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        if (key.Contains("--", StringComparison.Ordinal) || key.Contains('>', StringComparison.Ordinal))
        {
            throw new ArgumentException("A marker key must not contain '--' or '>' (it would end the HTML comment).", nameof(key));
        }
        return Open + key + Close;
    }
}
