using GitLabMrBot.Configuration;
using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Reviewers;
using GitLabMrBot.Storage;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>
/// Reconcile, don't react (docs/contract.md §2): read the MR's current state from GitLab, let the pure
/// policy engine decide, and hand the plan to the one writer. An unchanged MR costs reads only.
/// </summary>
public sealed partial class MergeRequestReconciler(
    MergeRequestSnapshotReader snapshots,
    PolicyConfigProvider config,
    PeopleReader peopleReader,
    PeopleStore peopleState,
    PlanExecutor executor,
    MergeabilityRechecks rechecks,
    BotNotesStore notesStore,
    ILogger<MergeRequestReconciler> logger,
    DecisionRecorder decisions,
    ExistingMergeRequestState existing,
    ProjectConfigs projectConfigs,
    ConfigPreviewer preview) : IMergeRequestReconciler
{
    public async Task ReconcileAsync(MergeRequestRef mergeRequest, ReconcileContext context, CancellationToken cancellationToken)
    {
        // Every evaluation leaves a record in the decision log, a failed one too (then the exception goes on to the worker).
        var draft = decisions.Start(mergeRequest, context);
        try
        {
            await ReconcileAsync(mergeRequest, context, draft, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            draft.Failed(e);
            await decisions.SaveAsync(draft, CancellationToken.None);
            throw;
        }
        await decisions.SaveAsync(draft, cancellationToken);
    }

    private async Task ReconcileAsync(MergeRequestRef mergeRequest, ReconcileContext context, DecisionDraft draft, CancellationToken cancellationToken)
    {
        // Our own writes carry the triggering event's UUID, so GitLab does not fire this hook again for them (docs/gitlab-behaviour.md §1.8).
        using var requestContext = GitLabRequestContext.Use(context.EventUuid);

        // The group's config, or the project's effective one when the group lets projects keep their own file.
        var choice = config.Current.Projects.Enabled
            ? await projectConfigs.ForProjectAsync(mergeRequest.ProjectId, null, cancellationToken)
            : new ProjectConfigChoice(config.Current, null);
        var compiled = choice.Effective;
        GitLabMergeRequest? current = null;
        if (context.RecheckAttempt > 0)
        {
            // Only re-checks led here: nothing but the mergeability can have changed (any other news comes with its own
            // event, which would have made this a full evaluation). While GitLab is still computing it, the MR alone is
            // enough to schedule the next look; the rest is read once GitLab has the answer.
            current = await snapshots.ReadMergeRequestAsync(mergeRequest, cancellationToken);
            if (await rechecks.RescheduleIfStillUnsettledAsync(mergeRequest, current, compiled, context, cancellationToken))
            {
                draft.Ended(DecisionOutcomes.Rescheduled, "GitLab is still computing whether the merge request can be merged: another look is scheduled");
                return;
            }
        }
        // The MR's notes are read only when the store does not know the bot's notes on it, or the people decision needs the
        // bot's system notes (who it asked before): an ordinary evaluation reads none.
        var known = await notesStore.LoadAsync(mergeRequest, cancellationToken);
        var needsHistory = await NeedsPeopleHistoryAsync(mergeRequest, compiled, context.JustOpened, cancellationToken);
        var knownNotes = known is not null && !needsHistory ? known.PolicyComments ?? [] : null;
        // Decided first without the label history, which only matters when the plan touches a label a human may have
        // moved (docs/gitlab-behaviour.md §3.3): then the events are read and the plan decided again, with the same result
        // as if they had been read from the start.
        var read = await snapshots.ReadAsync(mergeRequest, compiled, knownNotes, withLabelHistory: false, cancellationToken, current, withSystemNotes: needsHistory);
        // Scheduled before acting: should the writes fail, the retry finds the re-check already queued (same key).
        await rechecks.ScheduleIfUnsettledAsync(read.Snapshot, compiled, context, cancellationToken);
        var plan = PolicyEngine.Evaluate(read.Snapshot, compiled) with { ProjectFile = choice.ProjectFile };
        if (!read.HasLabelHistory && plan.UntouchedBecause is null && LabelHistory.CouldChange(plan, read.Snapshot.Labels))
        {
            read = await snapshots.WithLabelHistoryAsync(read, cancellationToken);
            plan = PolicyEngine.Evaluate(read.Snapshot, compiled) with { ProjectFile = choice.ProjectFile };
        }
        if (plan.UntouchedBecause is { } why)
        {
            Log.Untouched(logger, mergeRequest.ProjectId, mergeRequest.Iid, why);
            draft.Read(read.Snapshot.WebUrl);
            draft.Ended(DecisionOutcomes.Untouched, why);
            return;
        }

        var treatment = await existing.DecideAsync(mergeRequest, read.MergeRequest.CreatedAt, compiled.ExistingMergeRequests, context.SweepOnly, cancellationToken);
        if (treatment == Treatment.Skipped)
        {
            var skipped = $"{ExistingMergeRequestRule.Describe(treatment)} (sweep.existingMergeRequests: skip)";
            Log.Untouched(logger, mergeRequest.ProjectId, mergeRequest.Iid, skipped);
            draft.Read(read.Snapshot.WebUrl);
            draft.Ended(DecisionOutcomes.Untouched, skipped);
            return;
        }
        if (treatment == Treatment.LabelsOnly)
        {
            // No note, comment or reviewer on an MR nobody touched since the bot arrived; an event of it brings them.
            plan = ExistingMergeRequestRule.LabelsOnly(plan);
        }
        else
        {
            var people = await peopleReader.DecideAsync(read, plan, compiled, cancellationToken);
            // Stored before the PUT: should its answer be lost, the retry finishes this decision instead of picking again.
            await peopleState.SaveAsync(mergeRequest, people, cancellationToken);
            plan = plan with { People = people.Plan };
        }
        var summary = read.NotesRead
            ? NoteMarkers.FindMarkedNote(read.BotNotes, read.Bot.Id, SummaryComment.Marker) is { } note ? SummaryNote.Of(note) : null
            : known?.Summary;
        draft.Read(read.Snapshot.WebUrl);
        draft.Planned(plan);
        var outcome = await executor.ExecuteAsync(plan, summary, cancellationToken, notesRead: read.NotesRead, journal: draft.Journal);
        draft.Ended(plan.DryRun ? DecisionOutcomes.DryRun : outcome.Writes > 0 ? DecisionOutcomes.Changed : DecisionOutcomes.Unchanged,
            treatment == Treatment.LabelsOnly ? $"{ExistingMergeRequestRule.Describe(treatment)} (sweep.existingMergeRequests: labels)" : null);
        if (!plan.DryRun)
        {
            // After the writes: a record lost with a crash in between costs one read of the notes, never a second note.
            var comments = read.Snapshot.PostedPolicyComments.Union(outcome.PolicyComments).Order(StringComparer.Ordinal).ToList();
            await notesStore.SaveAsync(mergeRequest, known, new BotNotesRecord(outcome.Summary?.Id, outcome.Summary?.BodyHash, comments), cancellationToken);
        }
        if (!plan.DryRun && outcome.People is { } applied)
        {
            // Only after GitLab accepted the PUT, and as GitLab answered it (Free keeps one reviewer): from now on this
            // MR's reviewers and assignees are never written again, and the summary names only whom GitLab kept.
            await peopleState.CommitAsync(mergeRequest, applied, cancellationToken);
        }
        // After the MR's own writes: the preview of a project file it changes (issue 14 item 5) writes only its note;
        // like every other note, none on an MR that only gets labels (opened before the installation, untouched since).
        if (treatment != Treatment.LabelsOnly)
        {
            await preview.UpdateAsync(read, compiled, draft.Journal, cancellationToken);
        }
        Log.Reconciled(logger, mergeRequest.ProjectId, mergeRequest.Iid, context.DeliveryIds.Count, outcome.Writes);
    }

    /// <summary>
    /// True when the people decision reads the bot's system notes ("requested review from @a"): a reviewer or assignee rule
    /// whose stored decision is missing or not yet applied. An applied decision is final and never reads them. Nor does an MR
    /// just opened with no decision stored: the bot stores a decision before it asks anyone, so it has asked nobody there.
    /// </summary>
    private async Task<bool> NeedsPeopleHistoryAsync(MergeRequestRef mergeRequest, CompiledConfig compiled, bool justOpened, CancellationToken cancellationToken)
    {
        var reviewers = PeopleDecider.HasReviewerRules(compiled) ? await peopleState.ReviewersAsync(mergeRequest, cancellationToken) : null;
        var assignees = PeopleDecider.HasAssigneeRules(compiled) ? await peopleState.AssigneesAsync(mergeRequest, cancellationToken) : null;
        var needs = (PeopleDecider.HasReviewerRules(compiled) && reviewers is not { Applied: true })
            || (PeopleDecider.HasAssigneeRules(compiled) && assignees is not { Applied: true });
        return needs && !(justOpened && reviewers is null && assignees is null);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "{ProjectId}!{Iid} not touched: {Reason}")]
        public static partial void Untouched(ILogger logger, long projectId, long iid, string reason);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "{ProjectId}!{Iid} reconciled for {Deliveries} deliveries with {Writes} writes")]
        public static partial void Reconciled(ILogger logger, long projectId, long iid, int deliveries, int writes);
    }
}
