using System.Globalization;
using GitLabMrBot.Observability;
using GitLabMrBot.Storage;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Inbox;

/// <summary>
/// Drains the inbox: <see cref="InboxOptions.Concurrency"/> loops each claim one subject's due deliveries
/// under a lease, process them in a DI scope, and complete them, or record the failure for a retry with
/// backoff (dead letter after <see cref="InboxOptions.MaxAttempts"/>). A batch interrupted by a graceful stop is given
/// back at once; one a crash left leased is freed when the next worker starts on SQLite, or when its lease (renewed by a
/// heartbeat while processing) expires on PostgreSQL, so nothing accepted is lost and nothing waits long. A failure an
/// <see cref="IProcessingDeferral"/> recognises as an outage puts the batch back for later without counting an attempt,
/// and every loop pauses until then.
/// </summary>
public sealed partial class InboxWorker(
    IInboxStore store,
    IServiceScopeFactory scopes,
    InboxSignal signal,
    IOptions<InboxOptions> options,
    TimeProvider time,
    ILogger<InboxWorker> logger,
    IEnumerable<IProcessingDeferral> deferrals) : BackgroundService
{
    /// <summary>A loop that found nothing never retries sooner than this, whatever the store says is due.</summary>
    private static readonly TimeSpan MinIdle = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan WakeDebounce = TimeSpan.FromMilliseconds(25);

    private static readonly TimeSpan MaxPruneInterval = TimeSpan.FromHours(1);

    private readonly InboxOptions _options = options.Value;
    private readonly IProcessingDeferral[] _deferrals = [.. deferrals];

    // UTC ticks before which no loop claims (an outage or a long Retry-After); 0 when not paused.
    private long _pausedUntilTicks;

    // Unique per process start, so a restarted bot never mistakes its predecessor's leases for its own.
    private readonly string _ownerPrefix = string.Create(CultureInfo.InvariantCulture,
        $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.Concurrency > 0)
        {
            await ExpireOrphanedClaimsAsync(stoppingToken);
        }
        var loops = new Task[_options.Concurrency + 1];
        for (var i = 0; i < _options.Concurrency; i++)
        {
            var owner = string.Create(CultureInfo.InvariantCulture, $"{_ownerPrefix}/{i}");
            loops[i] = Task.Run(() => RunLoopAsync(owner, stoppingToken), CancellationToken.None);
        }
        loops[^1] = Task.Run(() => PruneLoopAsync(stoppingToken), CancellationToken.None);
        await Task.WhenAll(loops);
    }

    /// <summary>The claims a killed predecessor left are freed before the first claim, so its MRs wait seconds, not a lease.</summary>
    private async Task ExpireOrphanedClaimsAsync(CancellationToken stoppingToken)
    {
        try
        {
            var freed = await store.ExpireOrphanedClaimsAsync(stoppingToken);
            if (freed > 0)
            {
                Log.OrphansFreed(logger, freed);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Not fatal: those claims are then taken again when their leases expire.
            Log.StoreFailed(logger, e);
        }
    }

    /// <summary>How long every loop still holds off claiming (zero: not paused).</summary>
    private TimeSpan PauseLeft()
    {
        var until = Interlocked.Read(ref _pausedUntilTicks);
        return until == 0 ? TimeSpan.Zero : new DateTimeOffset(until, TimeSpan.Zero) - time.GetUtcNow();
    }

    private void PauseUntil(DateTimeOffset until)
    {
        var ticks = until.UtcTicks;
        var current = Interlocked.Read(ref _pausedUntilTicks);
        // The latest wins: a shorter pause never cuts a longer one another loop has just set.
        while (ticks > current)
        {
            var seen = Interlocked.CompareExchange(ref _pausedUntilTicks, ticks, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }

    /// <summary>When the failure is an outage rather than the delivery's own, capped at a day (the worker's longest wait).</summary>
    private DateTimeOffset? DeferUntil(Exception failure)
    {
        DateTimeOffset? latest = null;
        foreach (var deferral in _deferrals)
        {
            if (deferral.DeferUntil(failure) is { } at && (latest is null || at > latest))
            {
                latest = at;
            }
        }
        var cap = time.GetUtcNow() + InboxOptionsValidator.MaxWait;
        return latest > cap ? cap : latest;
    }

    /// <summary>How long to wait before the attempt after <paramref name="attempt"/> failed: exponential, capped, ±20% jitter.</summary>
    internal static TimeSpan RetryDelay(int attempt, InboxOptions options, double random) =>
        Backoff.Jittered(Backoff.Exponential(attempt, options.RetryBaseDelay, options.MaxRetryDelay), random);

    private async Task RunLoopAsync(string owner, CancellationToken stoppingToken)
    {
        var woken = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Taken before looking, so an append committed while we look still wakes us.
            var wake = signal.NextPulse;
            try
            {
                if (PauseLeft() is var pause && pause > TimeSpan.Zero)
                {
                    // GitLab is down or asked us to wait: the first claim after the pause is the probe.
                    await SleepAsync(pause, wake: null, stoppingToken);
                    continue;
                }
                var batch = await store.ClaimNextAsync(owner, _options.Lease, stoppingToken);
                if (batch is not null && batch.Attempt > _options.MaxAttempts)
                {
                    // Every allowed attempt already started and none finished (leases expired: a crash or a hang each
                    // time). Processing it again could take the process down again: it becomes a dead letter.
                    Log.GaveUp(logger, batch.Subject, batch.Deliveries.Count, batch.Attempt - 1);
                    await store.FailAsync(batch, $"gave up after {batch.Attempt - 1} attempts: {DeliveryRows.LeaseExpiredError}", retryAt: null, stoppingToken);
                    CountDeadLetters(batch);
                    continue;
                }
                if (batch is not null)
                {
                    await ProcessAsync(batch, stoppingToken);
                    continue;
                }
                if (woken)
                {
                    // Woken by an append that brought nothing claimable (its subject is in flight): under a burst
                    // every committed batch pulses, so listen again only after a short pause instead of spinning.
                    await SleepAsync(WakeDebounce, wake: null, stoppingToken);
                }
                woken = await IdleAsync(wake, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.StoreFailed(logger, e);
                await SleepAsync(_options.PollInterval, wake: null, stoppingToken);
            }
        }
    }

    /// <summary>Sleeps until the next due time, the poll interval or a wake-up; true when a wake-up ended it.</summary>
    private async Task<bool> IdleAsync(Task wake, CancellationToken stoppingToken)
    {
        var wait = _options.PollInterval;
        if (await store.NextDueAsync(stoppingToken) is { } due)
        {
            var untilDue = due - time.GetUtcNow();
            if (untilDue < wait)
            {
                wait = untilDue < MinIdle ? MinIdle : untilDue;
            }
        }
        await SleepAsync(wait, wake, stoppingToken);
        return wake.IsCompleted;
    }

    /// <summary>Waits for the time, the wake-up or shutdown, whichever comes first; never throws.</summary>
    private async Task SleepAsync(TimeSpan wait, Task? wake, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var delay = Task.Delay(wait, time, timeout.Token);
        await (wake is null ? delay : (Task)Task.WhenAny(delay, wake)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        // Releases the timer at once when the wake-up came first.
        await timeout.CancelAsync();
    }

    private async Task ProcessAsync(ClaimedBatch batch, CancellationToken stoppingToken)
    {
        using var logScope = logger.BeginScope(new Dictionary<string, object>
        {
            ["Subject"] = batch.Subject,
            ["DeliveryIds"] = string.Join(',', batch.Deliveries.Select(d => d.Id)),
            ["Attempt"] = batch.Attempt,
        });
        Log.Processing(logger, batch.Subject, batch.Deliveries.Count, batch.Attempt);
        var started = time.GetTimestamp();
        using var activity = BotTelemetry.StartProcessing(batch);

        // Cancelled on shutdown or when the lease is lost: either way another worker may now take this batch.
        using var processing = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var renewing = CancellationTokenSource.CreateLinkedTokenSource(processing.Token);
        var renewal = RenewUntilDoneAsync(batch, processing, renewing.Token);
        Exception? failure = null;
        IReadOnlyList<(StoredDelivery Delivery, string Reason)> setAside = [];
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var processor = scope.ServiceProvider.GetRequiredService<IDeliveryProcessor>();
            try
            {
                await processor.ProcessAsync(batch, processing.Token);
            }
            finally
            {
                setAside = scope.ServiceProvider.GetService<SetAsideDeliveries>()?.Items ?? [];
            }
        }
        catch (OperationCanceledException) when (processing.IsCancellationRequested)
        {
            await renewing.CancelAsync();
            await renewal;
            if (stoppingToken.IsCancellationRequested)
            {
                RecordEvaluation(activity, "interrupted", started);
                await ReleaseInterruptedAsync(batch);
                stoppingToken.ThrowIfCancellationRequested();
            }
            // The lease went to another worker, which processes the batch: nothing of it is ours to record.
            RecordEvaluation(activity, "lease_lost", started);
            Log.LeaseLost(logger, batch.Subject);
            return;
        }
        catch (Exception e)
        {
            failure = e;
        }
        await renewing.CancelAsync();
        await renewal;
        batch = await SetAsideAsync(batch, setAside);

        // Not cancellable by shutdown: the work is done (or failed) and recording it takes a moment.
        if (failure is null)
        {
            await store.CompleteAsync(batch, CancellationToken.None);
            RecordEvaluation(activity, "completed", started);
            Log.Completed(logger, batch.Subject, batch.Deliveries.Count);
            return;
        }

        if (stoppingToken.IsCancellationRequested)
        {
            // Failed while the process was stopping (a call cut short, a disposed service): the stop's doing, not the delivery's.
            RecordEvaluation(activity, "interrupted", started);
            await ReleaseInterruptedAsync(batch);
            return;
        }
        var error = $"{failure.GetType().Name}: {failure.Message}";
        if (DeferUntil(failure) is { } resumeAt)
        {
            // Not the delivery's fault: no attempt counts, and no loop claims before GitLab can answer again.
            PauseUntil(resumeAt);
            await store.ReleaseAsync(batch, resumeAt, $"deferred: {error}", CancellationToken.None);
            RecordEvaluation(activity, "deferred", started, failure);
            Log.Deferred(logger, batch.Subject, resumeAt, error);
            return;
        }
        if (batch.Attempt >= _options.MaxAttempts)
        {
            await store.FailAsync(batch, error, retryAt: null, CancellationToken.None);
            RecordEvaluation(activity, "dead_lettered", started, failure);
            CountDeadLetters(batch);
            // One line for the operator; the stack trace only at Debug.
            Log.DeadLettered(logger, SubjectText(batch.Subject), batch.Deliveries.Count, batch.Attempt, error);
            Log.FailureDetail(logger, batch.Subject, batch.Attempt, failure);
            return;
        }
        var delay = RetryDelay(batch.Attempt, _options, Random.Shared.NextDouble());
        var nextAttempt = time.GetUtcNow() + delay;
        await store.FailAsync(batch, error, nextAttempt, CancellationToken.None);
        RecordEvaluation(activity, "failed", started, failure);
        Log.WillRetry(logger, SubjectText(batch.Subject), batch.Attempt, _options.MaxAttempts, error, nextAttempt, delay);
        Log.FailureDetail(logger, batch.Subject, batch.Attempt, failure);
    }

    /// <summary>Dead-letters each set-aside delivery alone, with its reason; returns the rest of the batch.</summary>
    private async Task<ClaimedBatch> SetAsideAsync(ClaimedBatch batch, IReadOnlyList<(StoredDelivery Delivery, string Reason)> setAside)
    {
        foreach (var (delivery, reason) in setAside)
        {
            await store.FailAsync(batch with { Deliveries = [delivery] }, $"set aside: {reason}", retryAt: null, CancellationToken.None);
            CountDeadLetters(batch with { Deliveries = [delivery] });
        }
        return setAside.Count == 0 ? batch : batch with { Deliveries = [.. batch.Deliveries.Where(d => !setAside.Any(s => s.Delivery.Id == d.Id))] };
    }

    /// <summary>
    /// A graceful stop gives the interrupted batch back at once, attempt not counted (the stop, not the delivery, ended
    /// it): the next process, or another instance, takes it without waiting for the lease.
    /// </summary>
    private async Task ReleaseInterruptedAsync(ClaimedBatch batch)
    {
        try
        {
            await store.ReleaseAsync(batch, time.GetUtcNow(), reason: null, CancellationToken.None);
            Log.Interrupted(logger, batch.Subject);
        }
        catch (Exception e)
        {
            // The store is going away too: the batch stays leased and is freed at the next start or when the lease expires.
            Log.StoreFailed(logger, e);
        }
    }

    private async Task RenewUntilDoneAsync(ClaimedBatch batch, CancellationTokenSource processing, CancellationToken done)
    {
        // A third of the lease: two renewals can fail (a busy store) before the lease actually runs out.
        var interval = _options.Lease / 3;
        try
        {
            while (true)
            {
                await Task.Delay(interval, time, done);
                bool renewed;
                try
                {
                    renewed = await store.RenewLeaseAsync(batch, _options.Lease, done);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.StoreFailed(logger, e);
                    continue;
                }
                if (!renewed)
                {
                    await processing.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (done.IsCancellationRequested)
        {
        }
    }

    private async Task PruneLoopAsync(CancellationToken stoppingToken)
    {
        var interval = _options.Retention < MaxPruneInterval ? _options.Retention : MaxPruneInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var pruned = await store.PruneAsync(time.GetUtcNow() - _options.Retention, stoppingToken);
                if (pruned > 0)
                {
                    Log.Pruned(logger, pruned);
                }
                await Task.Delay(interval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.StoreFailed(logger, e);
                await SleepAsync(interval, wake: null, stoppingToken);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2210, Level = LogLevel.Error, Message = "Gave up on {Subject}: {Count} deliveries dead-lettered after {Attempts} attempts that never finished")]
        public static partial void GaveUp(ILogger logger, string subject, int count, int attempts);

        [LoggerMessage(EventId = 2201, Level = LogLevel.Debug, Message = "Processing {Count} deliveries of {Subject} (attempt {Attempt})")]
        public static partial void Processing(ILogger logger, string subject, int count, int attempt);

        [LoggerMessage(EventId = 2202, Level = LogLevel.Debug, Message = "Completed {Count} deliveries of {Subject}")]
        public static partial void Completed(ILogger logger, string subject, int count);

        [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "Processing {Subject} failed (attempt {Attempt} of {MaxAttempts}): {Failure}; next try at {NextAttempt:u} (in {Delay})")]
        public static partial void WillRetry(ILogger logger, string subject, int attempt, int maxAttempts, string failure, DateTimeOffset nextAttempt, TimeSpan delay);

        [LoggerMessage(EventId = 2204, Level = LogLevel.Error, Message = "Processing {Subject} failed (attempt {Attempt}, the last): {Failure}; {Count} deliveries dead-lettered")]
        public static partial void DeadLettered(ILogger logger, string subject, int count, int attempt, string failure);

        [LoggerMessage(EventId = 2290, Level = LogLevel.Debug, Message = "Processing {Subject} failed (attempt {Attempt}): the exception")]
        public static partial void FailureDetail(ILogger logger, string subject, int attempt, Exception exception);

        [LoggerMessage(EventId = 2205, Level = LogLevel.Warning, Message = "Lost the lease on {Subject} while processing; another worker will take it")]
        public static partial void LeaseLost(ILogger logger, string subject);

        [LoggerMessage(EventId = 2206, Level = LogLevel.Information, Message = "Processing {Subject} interrupted by shutdown; it is given back to be claimed again at once")]
        public static partial void Interrupted(ILogger logger, string subject);

        [LoggerMessage(EventId = 2207, Level = LogLevel.Error, Message = "The inbox store failed; retrying shortly")]
        public static partial void StoreFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 2208, Level = LogLevel.Information, Message = "Pruned {Count} done deliveries past retention")]
        public static partial void Pruned(ILogger logger, int count);

        [LoggerMessage(EventId = 2231, Level = LogLevel.Information, Message = "Freed {Count} deliveries a previous process left claimed; they are processed again now")]
        public static partial void OrphansFreed(ILogger logger, int count);

        [LoggerMessage(EventId = 2232, Level = LogLevel.Warning, Message = "Processing {Subject} deferred until {ResumeAt:O}, no attempt counted: {Error}")]
        public static partial void Deferred(ILogger logger, string subject, DateTimeOffset resumeAt, string error);
    }
}
