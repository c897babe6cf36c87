using GitLabMrBot.Events;
using GitLabMrBot.Inbox;
using GitLabMrBot.Policies;
using GitLabMrBot.Processing.Reconciliation;

namespace GitLabMrBot.Processing;

/// <summary>What a handler sees of the batch: the delivery it handles and where to ask for reconciliations.</summary>
public sealed class WebhookEventContext
{
    private readonly ReconcileSet _reconcileSet;

    internal WebhookEventContext(StoredDelivery delivery, ReconcileSet reconcileSet)
    {
        Delivery = delivery;
        _reconcileSet = reconcileSet;
    }

    public StoredDelivery Delivery { get; }

    /// <summary>Asks for <paramref name="mergeRequest"/> to be reconciled after the batch; repeated asks coalesce.</summary>
    public void ReconcileMergeRequest(MergeRequestRef mergeRequest) => _reconcileSet.Add(mergeRequest, Delivery, recheckAttempt: 0);

    /// <summary>As <see cref="ReconcileMergeRequest(MergeRequestRef)"/>, for the MR's <c>open</c> event (<see cref="ReconcileContext.JustOpened"/>).</summary>
    public void ReconcileOpenedMergeRequest(MergeRequestRef mergeRequest) => _reconcileSet.Add(mergeRequest, Delivery, recheckAttempt: 0, opened: true);

    internal void ReconcileMergeRequest(MergeRequestRef mergeRequest, int recheckAttempt, bool sweep = false) => _reconcileSet.Add(mergeRequest, Delivery, recheckAttempt, sweep: sweep);

    /// <summary>Asks for a reply note (a command's answer); the executor writes it after the batch is read.</summary>
    public void Reply(NoteReply reply) => _reconcileSet.Replies.Add(reply);
}

/// <summary>The distinct MRs of one batch, in the order first asked for, with the deliveries behind each.</summary>
internal sealed class ReconcileSet
{
    private readonly Dictionary<MergeRequestRef, Entry> _entries = [];
    private readonly List<MergeRequestRef> _order = [];

    public int Count => _order.Count;

    /// <summary>Reply notes the handlers asked for, in order.</summary>
    public List<NoteReply> Replies { get; } = [];

    public void Add(MergeRequestRef mergeRequest, StoredDelivery delivery, int recheckAttempt, bool opened = false, bool sweep = false)
    {
        if (!_entries.TryGetValue(mergeRequest, out var entry))
        {
            entry = new Entry();
            _entries.Add(mergeRequest, entry);
            _order.Add(mergeRequest);
        }
        entry.Add(delivery, recheckAttempt, opened, sweep);
    }

    public IEnumerable<(MergeRequestRef MergeRequest, ReconcileContext Context)> Contexts() =>
        _order.Select(mr => (mr, _entries[mr].ToContext()));

    private sealed class Entry
    {
        private readonly List<string> _deliveryIds = [];
        private readonly List<string> _events = [];
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
        private string? _newestEventUuid;
        private DateTimeOffset _newestReceivedAt = DateTimeOffset.MinValue;
        private bool _onlyRechecks = true;
        private bool _onlyOpened = true;
        private bool _onlySweep = true;
        private int _recheckAttempt;

        public void Add(StoredDelivery delivery, int recheckAttempt, bool opened, bool sweep)
        {
            _onlyOpened &= opened;
            _onlySweep &= sweep;
            // Any other trigger is news about the MR: the re-check count starts afresh.
            _onlyRechecks &= recheckAttempt > 0;
            _recheckAttempt = Math.Max(_recheckAttempt, recheckAttempt);
            if (_seen.Add(delivery.Id))
            {
                _deliveryIds.Add(delivery.Id);
                _events.Add(delivery.Event);
            }
            // The newest trigger's UUID is the one worth forwarding to GitLab (docs/gitlab-behaviour.md §1.8): later writes answer it.
            if (delivery.EventUuid is not null && delivery.ReceivedAt >= _newestReceivedAt)
            {
                _newestEventUuid = delivery.EventUuid;
                _newestReceivedAt = delivery.ReceivedAt;
            }
        }

        public ReconcileContext ToContext() => new([.. _deliveryIds], _newestEventUuid)
        {
            RecheckAttempt = _onlyRechecks ? _recheckAttempt : 0,
            JustOpened = _onlyOpened,
            SweepOnly = _onlySweep,
            Events = [.. _events],
        };
    }
}
