using GitLabMrBot.Configuration;
using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;

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
    ILogger<MergeRequestReconciler> logger) : IMergeRequestReconciler
{
    public async Task ReconcileAsync(MergeRequestRef mergeRequest, ReconcileContext context, CancellationToken cancellationToken)
    {
        // Our own writes carry the triggering event's UUID, so GitLab does not fire this hook again for them (docs/gitlab-behaviour.md §1.8).
        using var requestContext = GitLabRequestContext.Use(context.EventUuid);

        var compiled = config.Current;
        GitLabMergeRequest? known = null;
        if (context.RecheckAttempt > 0)
        {
            // Only re-checks led here: nothing but the mergeability can have changed (any other news comes with its own
            // event, which would have made this a full evaluation). While GitLab is still computing it, the MR alone is
            // enough to schedule the next look; the rest is read once GitLab has the answer.
            known = await snapshots.ReadMergeRequestAsync(mergeRequest, cancellationToken);
            if (await rechecks.RescheduleIfStillUnsettledAsync(mergeRequest, known, compiled, context, cancellationToken))
            {
                return;
            }
        }
        var read = await snapshots.ReadAsync(mergeRequest, compiled, cancellationToken, known);
        // Scheduled before acting: should the writes fail, the retry finds the re-check already queued (same key).
        await rechecks.ScheduleIfUnsettledAsync(read.Snapshot, compiled, context, cancellationToken);
        var plan = PolicyEngine.Evaluate(read.Snapshot, compiled);
        if (plan.UntouchedBecause is { } why)
        {
            Log.Untouched(logger, mergeRequest.ProjectId, mergeRequest.Iid, why);
            return;
        }

        var people = await peopleReader.DecideAsync(read, plan, compiled, cancellationToken);
        // Stored before the PUT: should its answer be lost, the retry finishes this decision instead of picking again.
        await peopleState.SaveAsync(mergeRequest, people, cancellationToken);
        plan = plan with { People = people.Plan };
        var outcome = await executor.ExecuteAsync(plan, read.BotNotes, cancellationToken);
        if (!plan.DryRun && outcome.People is { } applied)
        {
            // Only after GitLab accepted the PUT, and as GitLab answered it (Free keeps one reviewer): from now on this
            // MR's reviewers and assignees are never written again, and the summary names only whom GitLab kept.
            await peopleState.CommitAsync(mergeRequest, applied, cancellationToken);
        }
        Log.Reconciled(logger, mergeRequest.ProjectId, mergeRequest.Iid, context.DeliveryIds.Count, outcome.Writes);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "{ProjectId}!{Iid} not touched: {Reason}")]
        public static partial void Untouched(ILogger logger, long projectId, long iid, string reason);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "{ProjectId}!{Iid} reconciled for {Deliveries} deliveries with {Writes} writes")]
        public static partial void Reconciled(ILogger logger, long projectId, long iid, int deliveries, int writes);
    }
}
