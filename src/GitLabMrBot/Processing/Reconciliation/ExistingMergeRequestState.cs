using System.Globalization;
using GitLabMrBot.Events;
using GitLabMrBot.Policies;
using GitLabMrBot.Storage;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>
/// What <see cref="ExistingMergeRequestRule"/> reads from the bot's store: when the bot was installed (its first sweep
/// started: recorded once, kept for good) and which MRs opened before that have had an event reach the bot since.
/// </summary>
public sealed class ExistingMergeRequestState(IBotStateStore state)
{
    public const string InstalledAtKey = "installation:first-start";

    // Boxed: workers read it while another writes it, and a reference is read or written whole.
    private object? _installedAt;

    /// <summary>When the bot was installed; null before its first sweep (<see cref="RecordInstallationAsync"/>).</summary>
    public async Task<DateTimeOffset?> InstalledAtAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _installedAt) is DateTimeOffset known)
        {
            return known;
        }
        var text = await state.GetAsync(InstalledAtKey, cancellationToken);
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at))
        {
            // Never changes once written: read once per process.
            Volatile.Write(ref _installedAt, at);
            return at;
        }
        return null;
    }

    /// <summary>
    /// Records the installation at <paramref name="now"/> unless it is recorded already. A store that has swept before
    /// (a bot that ran before this record existed) is recorded as installed before any MR: nothing there is "existing".
    /// </summary>
    public async Task<DateTimeOffset> RecordInstallationAsync(DateTimeOffset now, bool sweptBefore, CancellationToken cancellationToken)
    {
        if (await InstalledAtAsync(cancellationToken) is { } known)
        {
            return known;
        }
        var at = sweptBefore ? DateTimeOffset.UnixEpoch : now;
        await state.SetAsync(InstalledAtKey, at.ToString("O", CultureInfo.InvariantCulture), cancellationToken);
        Volatile.Write(ref _installedAt, at);
        return at;
    }

    /// <summary>
    /// The treatment of one evaluation. <paramref name="sweepOnly"/>: the sweep alone asked for it. An evaluation brought by
    /// an event on an MR opened before the installation is remembered, so the sweeps after it treat that MR fully too.
    /// </summary>
    public async Task<Treatment> DecideAsync(
        MergeRequestRef mergeRequest, DateTimeOffset? createdAt, ExistingMergeRequests setting, bool sweepOnly, CancellationToken cancellationToken)
    {
        if (setting == ExistingMergeRequests.Full)
        {
            return Treatment.Full;
        }
        // Before the first sweep recorded the installation, every MR is older than it will be.
        var installedAt = await InstalledAtAsync(cancellationToken) ?? DateTimeOffset.MaxValue;
        var openedBefore = ExistingMergeRequestRule.OpenedBefore(createdAt, installedAt);
        if (!openedBefore)
        {
            return Treatment.Full;
        }
        var key = EventSeenKey(mergeRequest);
        var eventSeen = await state.GetAsync(key, cancellationToken) is not null;
        if (!sweepOnly && !eventSeen)
        {
            await state.SetAsync(key, "1", cancellationToken);
        }
        return ExistingMergeRequestRule.Decide(setting, openedBefore, sweepOnly, eventSeen);
    }

    private static string EventSeenKey(MergeRequestRef mr) => string.Create(CultureInfo.InvariantCulture, $"existing-mr-event:{mr.ProjectId}:{mr.Iid}");
}
