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

    /// <summary>
    /// Equal once both are as GitLab stores a note (<see cref="AsStored"/>): the body read back is compared with
    /// what the bot would write, so a note already saying it is never written again.
    /// </summary>
    public static bool SameBody(string stored, string wanted) =>
        string.Equals(AsStored(stored), AsStored(wanted), StringComparison.Ordinal);

    /// <summary>
    /// A note body as GitLab saves it: every note on a merge request passes through the quick-action extractor,
    /// which deletes each <c>\r</c> and strips trailing whitespace (docs/gitlab-behaviour.md §3.3). A rendered
    /// body ending in a newline is therefore never read back as written.
    /// </summary>
    public static string AsStored(string body) =>
        body.Replace("\r", "", StringComparison.Ordinal).TrimEnd(RubyWhitespace);

    // Ruby's String#rstrip: ASCII whitespace and NUL only (.NET's TrimEnd() would also strip Unicode spaces GitLab keeps).
    private static readonly char[] RubyWhitespace = [' ', '\t', '\n', '\v', '\f', '\r', '\0'];
}
