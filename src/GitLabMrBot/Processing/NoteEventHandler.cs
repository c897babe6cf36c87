using GitLabMrBot.Events;
using GitLabMrBot.GitLab;

namespace GitLabMrBot.Processing;

/// <summary>
/// Comments are how people talk to the bot: <c>@bot recheck</c> re-evaluates the MR, <c>@bot help</c> answers with
/// the commands. Only members with Developer access or above may command (checked through the API). A comment
/// that is no command changes nothing the policies read, so it costs no evaluation; system notes and the bot's
/// own notes are never commands.
/// </summary>
public sealed partial class NoteEventHandler(IGitLabDirectory gitLab, ILogger<NoteEventHandler> logger) : IWebhookEventHandler<NoteEvent>
{
    /// <summary>GitLab's Developer access level (docs/gitlab-behaviour.md §3.5).</summary>
    public const int CommandAccessLevel = 30;

    public async Task HandleAsync(NoteEvent webhookEvent, WebhookEventContext context, CancellationToken cancellationToken)
    {
        var note = webhookEvent.ObjectAttributes;
        if (note.NoteableType != "MergeRequest" || webhookEvent.MergeRequest is not { } mergeRequest)
        {
            Log.NotOnMergeRequest(logger, note.Id, note.NoteableType);
            return;
        }
        // Checked before any API call: most comments mention nobody, and the bot's own name has to come from GitLab.
        if (note.System == true || string.IsNullOrEmpty(note.Note) || !note.Note.Contains('@', StringComparison.Ordinal))
        {
            Log.NotACommand(logger, note.Id);
            return;
        }

        var bot = await gitLab.GetCurrentUserAsync(cancellationToken);
        var authorId = note.AuthorId ?? webhookEvent.User?.Id;
        if (authorId == bot.Id)
        {
            Log.NotACommand(logger, note.Id);
            return;
        }
        var commands = BotCommandParser.Parse(note.Note, bot.Username);
        if (commands.Count == 0)
        {
            Log.NotACommand(logger, note.Id);
            return;
        }

        var projectId = webhookEvent.EffectiveProjectId;
        // One lookup of the author, not every page of members: a command costs the same in a project of thousands (docs/gitlab-behaviour.md §3.5).
        var member = authorId is { } id ? await gitLab.GetProjectMemberAsync(projectId, id, cancellationToken) : null;
        if (member is null || member.AccessLevel < CommandAccessLevel)
        {
            Log.NotAllowed(logger, note.Id, authorId, member?.AccessLevel ?? 0);
            return;
        }

        var mr = new MergeRequestRef(projectId, mergeRequest.Iid);
        foreach (var command in commands)
        {
            Log.Command(logger, command, note.Id, projectId, mergeRequest.Iid, member.Username);
            switch (command)
            {
                case BotCommand.Recheck:
                    context.ReconcileMergeRequest(mr);
                    break;
                case BotCommand.Help:
                    context.Reply(CommandReplies.Help(mr, note.Id, bot.Username));
                    break;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3201, Level = LogLevel.Debug, Message = "Note {NoteId} holds no command for the bot")]
        public static partial void NotACommand(ILogger logger, long noteId);

        [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Note {NoteId} on a {NoteableType} skipped: only notes on merge requests are handled")]
        public static partial void NotOnMergeRequest(ILogger logger, long noteId, string noteableType);

        [LoggerMessage(EventId = 3203, Level = LogLevel.Information, Message = "Command {Command} in note {NoteId} on {ProjectId}!{Iid} by {Username}")]
        public static partial void Command(ILogger logger, BotCommand command, long noteId, long projectId, long iid, string username);

        [LoggerMessage(EventId = 3204, Level = LogLevel.Information, Message = "Commands in note {NoteId} ignored: user {UserId} has access level {AccessLevel}, below Developer")]
        public static partial void NotAllowed(ILogger logger, long noteId, long? userId, int accessLevel);
    }
}
