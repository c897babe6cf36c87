using GitLabMrBot.Events;

namespace GitLabMrBot.GitLab;

public sealed partial class PlanExecutor
{
    /// <summary>
    /// Writes the one note with <paramref name="marker"/> (the project file's preview) the way the summary note is written:
    /// nothing when <paramref name="known"/> already says <paramref name="body"/>; an edit of the known note (posted anew when
    /// GitLab no longer has it); with none known, an upsert that looks for the marker before posting, unless
    /// <paramref name="knownAbsent"/> (the notes were read in this evaluation and had none). Writes nothing else.
    /// </summary>
    /// <returns>The note as it is now, and whether this call wrote it.</returns>
    public async Task<(SummaryNote Note, bool Written)> WriteMarkedNoteAsync(
        MergeRequestRef mr, string marker, SummaryNote? known, string body, bool knownAbsent, IList<WriteMade>? journal, CancellationToken cancellationToken)
    {
        if (known?.Says(body) == true)
        {
            return (known, false);
        }
        var what = known is null ? $"note {marker}" : $"note {known.Id} {marker}";
        try
        {
            if (known is not null)
            {
                try
                {
                    await gitLab.UpdateNoteAsync(mr, known.Id, body, cancellationToken);
                    journal?.Add(new WriteMade(what, $"200 OK: note {known.Id} edited"));
                    return (known with { BodyHash = SummaryNote.HashOf(body) }, true);
                }
                catch (GitLabApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
                {
                    Log.MarkedNoteGone(logger, mr.ProjectId, mr.Iid, known.Id);
                }
            }
            var result = await gitLab.UpsertMarkedNoteAsync(mr, marker, body, cancellationToken, knownAbsent: knownAbsent && known is null);
            journal?.Add(new WriteMade(what, Describe(result)));
            return (new SummaryNote(result.Note.Id, SummaryNote.HashOf(body)), result.Outcome != NoteUpsertOutcome.Unchanged);
        }
        catch (GitLabApiException e) when (journal is not null && Failed(journal, what, e))
        {
            throw;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4171, Level = LogLevel.Information, Message = "{ProjectId}!{Iid}: the bot's note {NoteId} was deleted in GitLab; posting it again")]
        public static partial void MarkedNoteGone(ILogger logger, long projectId, long iid, long noteId);
    }
}
