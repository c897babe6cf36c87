using GitLabMrBot.Events;
using GitLabMrBot.GitLab;

namespace GitLabMrBot.Processing;

/// <summary>
/// Any merge request event is a trigger to reconcile that MR (docs/contract.md §2: reconcile, don't react), but one: the
/// echo of the bot's own write. Its label, reviewer or assignee PUT makes GitLab send an <c>update</c> hook whose actor is
/// the bot and whose changes are only those fields (docs/gitlab-behaviour.md §1.4). The plan that made the write already
/// decided on the labels it would carry, so evaluating the echo would read the MR again to find nothing to do.
/// A human change in between comes with its own hook, whose actor is the human.
/// </summary>
public sealed partial class MergeRequestEventHandler(IGitLabDirectory gitLab, ILogger<MergeRequestEventHandler> logger) : IWebhookEventHandler<MergeRequestEvent>
{
    /// <summary>The <c>changes</c> keys a label, reviewer or assignee PUT produces; any other key is news.</summary>
    private static readonly HashSet<string> WriteOnlyChangeKeys = new(StringComparer.Ordinal)
    {
        "labels", "assignees", "reviewers", "updated_at", "updated_by_id",
    };

    public async Task HandleAsync(MergeRequestEvent webhookEvent, WebhookEventContext context, CancellationToken cancellationToken)
    {
        var attributes = webhookEvent.ObjectAttributes;
        Log.MergeRequestEvent(logger, attributes.Action, webhookEvent.Project.Id, attributes.Iid, attributes.State);
        if (OnlyWhatTheBotWrites(webhookEvent) && webhookEvent.User?.Id is { } actor
            && actor == (await gitLab.GetCurrentUserAsync(cancellationToken)).Id)
        {
            Log.OwnWrite(logger, webhookEvent.Project.Id, attributes.Iid);
            return;
        }
        var mergeRequest = new MergeRequestRef(webhookEvent.Project.Id, attributes.Iid);
        if (attributes.Action == "open")
        {
            context.ReconcileOpenedMergeRequest(mergeRequest);
        }
        else
        {
            context.ReconcileMergeRequest(mergeRequest);
        }
    }

    /// <summary>An <c>update</c> whose changes are all among <see cref="WriteOnlyChangeKeys"/> (and at least one of them).</summary>
    public static bool OnlyWhatTheBotWrites(MergeRequestEvent webhookEvent)
    {
        if (webhookEvent.ObjectAttributes.Action != "update" || webhookEvent.Changes is not { } changes
            || changes.Title is not null || changes.Description is not null || changes.Draft is not null || changes.TargetBranch is not null
            || (changes.Labels is null && changes.Assignees is null && changes.Reviewers is null))
        {
            return false;
        }
        // The oldrev of a push to the source branch is an attribute, not a change: a push is never a write of the bot.
        if (webhookEvent.ObjectAttributes.ExtensionData?.ContainsKey("oldrev") == true)
        {
            return false;
        }
        return changes.ExtensionData is null || changes.ExtensionData.Keys.All(WriteOnlyChangeKeys.Contains);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "Merge request event '{Action}' on {ProjectId}!{Iid} (state {State})")]
        public static partial void MergeRequestEvent(ILogger logger, string? action, long projectId, long iid, string? state);

        [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "{ProjectId}!{Iid}: the update is the echo of the bot's own write; nothing to evaluate")]
        public static partial void OwnWrite(ILogger logger, long projectId, long iid);
    }
}
