using GitLabMrBot.Policies;

namespace GitLabMrBot.GitLab;

/// <summary>
/// The one class that turns a <see cref="Plan"/> into GitLab writes (docs/contract.md §2 "decide, then act"):
/// missing project labels first, then every label change in ONE PUT, then policy comments (once each),
/// then the summary note, edited only when its text changes. A plan that changes nothing writes nothing.
/// </summary>
public sealed partial class PlanExecutor(IMergeRequestWriter gitLab, ILogger<PlanExecutor> logger)
{
    /// <summary>Applies the plan; returns how many writes it made (0 in dry-run mode and for settled MRs).</summary>
    public async Task<int> ApplyAsync(Plan plan, IReadOnlyList<GitLabNote> botNotes, CancellationToken cancellationToken)
    {
        var mr = plan.MergeRequest;
        var summary = plan.SummaryComment && SummaryComment.HasContent(plan) ? SummaryComment.Render(plan) : null;
        var existingSummary = botNotes.FirstOrDefault(n => n.Body.Contains(SummaryComment.Marker, StringComparison.Ordinal));
        // GitLab stores the note trimmed (docs/gitlab-behaviour.md §3.3): compare as stored, or every evaluation rewrites it.
        var summaryChanged = summary is not null && (existingSummary is null || !NoteMarkers.SameBody(existingSummary.Body, summary));

        if (plan.DryRun)
        {
            foreach (var add in plan.LabelsToAdd)
            {
                Log.DryRunLabel(logger, mr.ProjectId, mr.Iid, "add", add.Label, add.Reason);
            }
            foreach (var remove in plan.LabelsToRemove)
            {
                Log.DryRunLabel(logger, mr.ProjectId, mr.Iid, "remove", remove.Label, remove.Reason);
            }
            foreach (var comment in plan.Comments)
            {
                Log.DryRunComment(logger, mr.ProjectId, mr.Iid, comment.Policy);
            }
            if (plan.People?.HasChanges == true && logger.IsEnabled(LogLevel.Information))
            {
                var reviewers = Names(plan.People.ReviewerIds, plan.People.Reviewers);
                var assignees = Names(plan.People.AssigneeIds, plan.People.Assignees);
                Log.DryRunPeople(logger, mr.ProjectId, mr.Iid, reviewers, assignees);
            }
            if (summaryChanged)
            {
                Log.DryRunComment(logger, mr.ProjectId, mr.Iid, "summary");
            }
            return 0;
        }

        var writes = 0;
        if (plan.LabelsToCreate.Count > 0)
        {
            var created = await gitLab.EnsureLabelsAsync(mr.ProjectId, plan.LabelsToCreate.Select(l => new LabelDefinition(l.Name, l.Color)), cancellationToken);
            writes += created.Count;
        }

        // Labels, reviewers and assignees in ONE PUT: one write, one webhook echo, one system-note batch.
        var people = plan.People;
        if (plan.LabelsToAdd.Count > 0 || plan.LabelsToRemove.Count > 0 || people?.HasChanges == true)
        {
            await gitLab.UpdateMergeRequestAsync(mr, new MergeRequestUpdate
            {
                AddLabels = plan.LabelsToAdd.Select(l => l.Label).ToList(),
                RemoveLabels = plan.LabelsToRemove.Select(l => l.Label).ToList(),
                ReviewerIds = people?.ReviewerIds,
                AssigneeIds = people?.AssigneeIds,
            }, cancellationToken);
            writes++;
            if (logger.IsEnabled(LogLevel.Information))
            {
                var added = string.Join(",", plan.LabelsToAdd.Select(l => l.Label));
                var removed = string.Join(",", plan.LabelsToRemove.Select(l => l.Label));
                Log.LabelsApplied(logger, mr.ProjectId, mr.Iid, added, removed);
                if (people?.HasChanges == true)
                {
                    var reviewers = Names(people.ReviewerIds, people.Reviewers);
                    var assignees = Names(people.AssigneeIds, people.Assignees);
                    Log.PeopleApplied(logger, mr.ProjectId, mr.Iid, reviewers, assignees);
                }
            }
        }

        foreach (var comment in plan.Comments)
        {
            var result = await gitLab.UpsertMarkedNoteAsync(mr, comment.Marker, comment.Body, cancellationToken);
            writes += result.Outcome == NoteUpsertOutcome.Unchanged ? 0 : 1;
        }

        if (summaryChanged)
        {
            if (existingSummary is not null)
            {
                await gitLab.UpdateNoteAsync(mr, existingSummary.Id, summary!, cancellationToken);
                writes++;
            }
            else
            {
                // The upsert looks for the marker again before posting, so a lost answer never doubles the note.
                var result = await gitLab.UpsertMarkedNoteAsync(mr, SummaryComment.Marker, summary!, cancellationToken);
                writes += result.Outcome == NoteUpsertOutcome.Unchanged ? 0 : 1;
            }
        }
        return writes;
    }

    /// <summary>Writes a reply note once (found again by its marker); true when a note was written.</summary>
    public async Task<bool> ApplyReplyAsync(NoteReply reply, CancellationToken cancellationToken)
    {
        var result = await gitLab.UpsertMarkedNoteAsync(reply.MergeRequest, reply.Marker, reply.Body, cancellationToken);
        Log.Replied(logger, reply.MergeRequest.ProjectId, reply.MergeRequest.Iid, reply.Why, result.Outcome);
        return result.Outcome != NoteUpsertOutcome.Unchanged;
    }

    // The picks among the ids being sent, by name, for the log line.
    private static string Names(IReadOnlyList<long>? ids, IReadOnlyList<Policies.Reviewers.PersonPick> picks) =>
        ids is null ? "-" : string.Join(",", picks.Where(p => ids.Contains(p.Id)).Select(p => p.Username));

    private static partial class Log
    {
        [LoggerMessage(EventId = 4106, Level = LogLevel.Information, Message = "{ProjectId}!{Iid} reply ({Why}): {Outcome}")]
        public static partial void Replied(ILogger logger, long projectId, long iid, string why, NoteUpsertOutcome outcome);

        [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "{ProjectId}!{Iid} reviewers requested [{Reviewers}] assignees set [{Assignees}]")]
        public static partial void PeopleApplied(ILogger logger, long projectId, long iid, string reviewers, string assignees);

        [LoggerMessage(EventId = 4105, Level = LogLevel.Information, Message = "Dry run: {ProjectId}!{Iid} would request reviewers [{Reviewers}] and assign [{Assignees}]")]
        public static partial void DryRunPeople(ILogger logger, long projectId, long iid, string reviewers, string assignees);

        [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "{ProjectId}!{Iid} labels added [{Added}] removed [{Removed}]")]
        public static partial void LabelsApplied(ILogger logger, long projectId, long iid, string added, string removed);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Dry run: {ProjectId}!{Iid} would {Action} label {Label} ({Reason})")]
        public static partial void DryRunLabel(ILogger logger, long projectId, long iid, string action, string label, Reason reason);

        [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Dry run: {ProjectId}!{Iid} would write the {Comment} comment")]
        public static partial void DryRunComment(ILogger logger, long projectId, long iid, string comment);
    }
}
