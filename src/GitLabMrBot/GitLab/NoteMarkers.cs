using GitLabMrBot.Policies;

namespace GitLabMrBot.GitLab;

/// <summary>
/// Hidden markers that let the bot find its own notes again (an HTML comment GitLab does not render),
/// so a note is edited in place instead of posted twice.
/// </summary>
public static class NoteMarkers
{
    /// <summary>The marker for a named note, e.g. <c>&lt;!-- gitlab-mr-bot:summary --&gt;</c> (the format is <see cref="NoteMarker"/>'s).</summary>
    public static string For(string key) => NoteMarker.For(key);

    /// <summary>The body as posted: the marker is appended on its own line when the body does not hold it yet.</summary>
    public static string WithMarker(string body, string marker) =>
        body.Contains(marker, StringComparison.Ordinal) ? body : $"{body.TrimEnd()}\n\n{marker}";

    /// <summary>
    /// The bot's own non-system note holding <paramref name="marker"/>; the oldest one if, through an
    /// earlier fault, there are several (so the same note keeps being edited).
    /// </summary>
    public static GitLabNote? FindMarkedNote(IEnumerable<GitLabNote> notes, long botUserId, string marker) =>
        notes
            .Where(n => !n.System && n.Author?.Id == botUserId && n.Body.Contains(marker, StringComparison.Ordinal))
            .OrderBy(n => n.Id)
            .FirstOrDefault();

    /// <summary>Equal as far as a reader sees: line endings and trailing whitespace don't count (GitLab may normalise them).</summary>
    public static bool SameBody(string stored, string wanted) =>
        string.Equals(Normalize(stored), Normalize(wanted), StringComparison.Ordinal);

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd();
}
