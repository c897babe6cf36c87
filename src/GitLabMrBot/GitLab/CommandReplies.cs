using GitLabMrBot.Handlers;

namespace GitLabMrBot.GitLab;

/// <summary>
/// The bot's answers to commands in comments. Each answer carries a marker naming the command's note, so a
/// redelivered or edited command note finds the answer already there and nothing is posted twice.
/// </summary>
public sealed partial class CommandReplies(IMergeRequestWriter gitLab, ILogger<CommandReplies> logger)
{
    public static string HelpMarker(long noteId) => NoteMarkers.For($"help:{noteId}");

    public static string HelpText(string botUsername) => $"""
        Commands for @{botUsername} (for members with Developer access or above; quoted text and code are never commands):

        | command | does |
        |---|---|
        | `@{botUsername} recheck` | evaluates this merge request again now: labels, reviewers, assignees and the summary comment |
        | `@{botUsername} help` | shows this list |
        """;

    /// <summary>Answers the <c>help</c> command of note <paramref name="noteId"/>; true when a note was written.</summary>
    public async Task<bool> ReplyHelpAsync(MergeRequestRef mergeRequest, long noteId, string botUsername, CancellationToken cancellationToken)
    {
        var result = await gitLab.UpsertMarkedNoteAsync(mergeRequest, HelpMarker(noteId), HelpText(botUsername), cancellationToken);
        Log.HelpReplied(logger, mergeRequest.ProjectId, mergeRequest.Iid, noteId, result.Outcome);
        return result.Outcome != NoteUpsertOutcome.Unchanged;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "{ProjectId}!{Iid} help for note {NoteId}: {Outcome}")]
        public static partial void HelpReplied(ILogger logger, long projectId, long iid, long noteId, NoteUpsertOutcome outcome);
    }
}
