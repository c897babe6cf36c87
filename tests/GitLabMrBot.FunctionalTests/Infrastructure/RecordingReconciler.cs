using System.Collections.Concurrent;
using GitLabMrBot.Events;
using GitLabMrBot.Processing.Reconciliation;

namespace GitLabMrBot.FunctionalTests.Infrastructure;

/// <summary>A reconciler that only records what it was asked to reconcile.</summary>
public sealed class RecordingReconciler : IMergeRequestReconciler
{
    private readonly ConcurrentQueue<(MergeRequestRef MergeRequest, ReconcileContext Context)> _calls = new();

    public IReadOnlyList<(MergeRequestRef MergeRequest, ReconcileContext Context)> Calls => [.. _calls];

    public Task ReconcileAsync(MergeRequestRef mergeRequest, ReconcileContext context, CancellationToken cancellationToken)
    {
        _calls.Enqueue((mergeRequest, context));
        return Task.CompletedTask;
    }
}
