using GitLabMrBot.Events;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>
/// Brings one MR to the state the policies want (docs/contract.md §2 "reconcile, don't react").
/// Called at most once per MR per claimed batch, however many deliveries the batch holds.
/// </summary>
public interface IMergeRequestReconciler
{
    Task ReconcileAsync(MergeRequestRef mergeRequest, ReconcileContext context, CancellationToken cancellationToken);
}

/// <summary>Why a reconciliation runs: the deliveries behind it and the event UUID to forward to GitLab (docs/gitlab-behaviour.md §1.8).</summary>
public sealed record ReconcileContext(IReadOnlyList<string> DeliveryIds, string? EventUuid)
{
    /// <summary>
    /// How many mergeability re-checks in a row led here (<see cref="ReconcileRequest.RecheckAttempt"/>); 0 when any
    /// trigger of this evaluation is something else (an event, a push, the sweep), which starts the count afresh.
    /// </summary>
    public int RecheckAttempt { get; init; }

    /// <summary>
    /// Every trigger is the MR's <c>open</c> event: the MR has just been created, so nobody can have been asked by the bot
    /// on it unless the store already holds that decision.
    /// </summary>
    public bool JustOpened { get; init; }

    /// <summary>
    /// Every trigger is the sweep (or a mergeability re-check, which a sweep's evaluation may have scheduled): no event of the
    /// MR reached the bot. An MR opened before the installation then gets what
    /// <c>sweep.existingMergeRequests</c> says (<see cref="Policies.ExistingMergeRequestRule"/>).
    /// </summary>
    public bool SweepOnly { get; init; }

    /// <summary>The event of each delivery in <see cref="DeliveryIds"/>, in the same order (for the decision log).</summary>
    public IReadOnlyList<string> Events { get; init; } = [];
}
