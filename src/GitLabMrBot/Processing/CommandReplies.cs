using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;

namespace GitLabMrBot.Processing;

/// <summary>
/// The bot's answers to commands in comments, as notes for the executor to write. Each answer carries a marker
/// naming the command's note, so a redelivered or edited command note finds the answer already there and nothing
/// is posted twice. Pure.
/// </summary>
public static class CommandReplies
{
    public static string HelpMarker(long noteId) => NoteMarkers.For($"help:{noteId}");

    public static string HelpText(string botUsername) => $"""
        Commands for @{botUsername} (for members with Developer access or above; quoted text and code are never commands):

        | command | does |
        |---|---|
        | `@{botUsername} recheck` | evaluates this merge request again now: labels, reviewers, assignees and the summary comment |
        | `@{botUsername} help` | shows this list |
        """;

    /// <summary>The answer to the <c>help</c> command of note <paramref name="noteId"/>.</summary>
    public static NoteReply Help(MergeRequestRef mergeRequest, long noteId, string botUsername) =>
        new(mergeRequest, HelpMarker(noteId), HelpText(botUsername), $"help for note {noteId}");
}
