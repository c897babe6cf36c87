using System.Security.Cryptography;
using System.Text;

namespace GitLabMrBot.GitLab;

/// <summary>
/// The bot's summary note as the bot last wrote it: the note's id and a hash of its body as GitLab stores it. Enough to
/// know, without reading the MR's notes, whether the summary must be edited and which note to edit.
/// </summary>
public sealed record SummaryNote(long Id, string BodyHash)
{
    /// <summary>The hash of <paramref name="body"/> as GitLab stores it (docs/gitlab-behaviour.md §3.3), so a body read back hashes as written.</summary>
    public static string HashOf(string body) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(NoteMarkers.AsStored(body))));

    /// <summary>The note as read from GitLab.</summary>
    public static SummaryNote Of(GitLabNote note) => new(note.Id, HashOf(note.Body));

    /// <summary>True when the note already reads <paramref name="body"/>.</summary>
    public bool Says(string body) => string.Equals(BodyHash, HashOf(body), StringComparison.Ordinal);
}
