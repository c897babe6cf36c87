using GitLabMrBot.Webhooks.Events;

namespace GitLabMrBot.Handlers;

/// <summary>
/// A comment on an MR reconciles that MR (for now every note does; commands in comments may come later).
/// Notes on anything but a merge request are never stored, but are skipped here too.
/// </summary>
public sealed partial class NoteEventHandler(ILogger<NoteEventHandler> logger) : IWebhookEventHandler<NoteEvent>
{
    public Task HandleAsync(NoteEvent webhookEvent, WebhookEventContext context, CancellationToken cancellationToken)
    {
        var note = webhookEvent.ObjectAttributes;
        if (note.NoteableType != "MergeRequest" || webhookEvent.MergeRequest is not { } mergeRequest)
        {
            Log.NotOnMergeRequest(logger, note.Id, note.NoteableType);
            return Task.CompletedTask;
        }

        Log.NoteEvent(logger, note.Id, webhookEvent.EffectiveProjectId, mergeRequest.Iid);
        context.ReconcileMergeRequest(new MergeRequestRef(webhookEvent.EffectiveProjectId, mergeRequest.Iid));
        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3201, Level = LogLevel.Debug, Message = "Note {NoteId} on {ProjectId}!{Iid}")]
        public static partial void NoteEvent(ILogger logger, long noteId, long projectId, long iid);

        [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Note {NoteId} on a {NoteableType} skipped: only notes on merge requests are handled")]
        public static partial void NotOnMergeRequest(ILogger logger, long noteId, string noteableType);
    }
}
