using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>Settings of mergeability re-checks (configuration section <c>Rechecks</c>); safe defaults, validated on start.</summary>
public sealed class RecheckOptions
{
    public const string Section = "Rechecks";

    /// <summary>Delay before the first re-check; each further one waits twice as long, up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan FirstDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Re-checks in a row before the bot stops asking (GitLab still computing); the next event or sweep starts afresh.</summary>
    public int MaxAttempts { get; set; } = 10;
}

public sealed class RecheckOptionsValidator : IValidateOptions<RecheckOptions>
{
    public ValidateOptionsResult Validate(string? name, RecheckOptions options)
    {
        var errors = new List<string>();
        if (options.FirstDelay <= TimeSpan.Zero)
        {
            errors.Add($"{RecheckOptions.Section}:FirstDelay must be positive (it is {options.FirstDelay}).");
        }
        if (options.MaxDelay < options.FirstDelay)
        {
            errors.Add($"{RecheckOptions.Section}:MaxDelay ({options.MaxDelay}) must be at least FirstDelay ({options.FirstDelay}).");
        }
        if (options.MaxAttempts is < 0 or > 100)
        {
            errors.Add($"{RecheckOptions.Section}:MaxAttempts must be between 0 and 100 (it is {options.MaxAttempts}).");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>
/// GitLab computes mergeability asynchronously (docs/gitlab-behaviour.md §3.2): right after a push the MR reads <c>checking</c> or
/// <c>unchecked</c>, and no webhook says when the answer is in. While it is unsettled and the config has a
/// <c>needsRebase</c> label, the MR is evaluated again later, with backoff and a bound on the count. Only the conflict
/// answer (<c>has_conflicts</c>) waits for that check: <c>diverged_commits_count</c>, the other half of the rebase rule,
/// is computed on read. The re-check is a delivery in the inbox with a due time, so it survives a restart and runs
/// under the MR's ordering.
/// </summary>
public sealed partial class MergeabilityRechecks(ReconcileQueue queue, IOptions<RecheckOptions> options, TimeProvider time, ILogger<MergeabilityRechecks> logger)
{

    /// <summary>The wait before re-check <paramref name="attempt"/> (1 for the first): doubling from the first delay, capped.</summary>
    public static TimeSpan Delay(int attempt, RecheckOptions options) => Backoff.Exponential(attempt, options.FirstDelay, options.MaxDelay);

    /// <summary>Queues the next re-check when the MR's mergeability is unsettled and needs-rebase is configured; true when one was queued.</summary>
    public async Task<bool> ScheduleIfUnsettledAsync(MergeRequestSnapshot snapshot, CompiledConfig config, ReconcileContext context, CancellationToken cancellationToken)
    {
        if (config.NeedsRebaseLabel is null || snapshot.State != "opened" || !MergeStatus.IsUnsettled(snapshot.DetailedMergeStatus))
        {
            return false;
        }

        var settings = options.Value;
        var attempt = context.RecheckAttempt + 1;
        if (attempt > settings.MaxAttempts)
        {
            Log.GaveUp(logger, snapshot.ProjectId, snapshot.Iid, snapshot.DetailedMergeStatus!, settings.MaxAttempts);
            return false;
        }

        var delay = Delay(attempt, settings);
        var request = new ReconcileRequest
        {
            ProjectId = snapshot.ProjectId,
            Iid = snapshot.Iid,
            Reason = ReconcileRequest.MergeabilityReason,
            RecheckAttempt = attempt,
        };
        // Keyed by the evaluation that saw the status: a retry of this same batch schedules nothing twice.
        var key = $"recheck:{snapshot.ProjectId}:{snapshot.Iid}:{attempt}:{(context.DeliveryIds.Count > 0 ? context.DeliveryIds[0] : "")}";
        var queued = await queue.QueueAsync(request, key, context.EventUuid, cancellationToken, notBefore: time.GetUtcNow() + delay);
        Log.Scheduled(logger, snapshot.ProjectId, snapshot.Iid, snapshot.DetailedMergeStatus!, attempt, delay);
        return queued;
    }

    /// <summary>
    /// For an evaluation only re-checks led to, given the MR as just read: while GitLab is still computing its
    /// mergeability (and needs-rebase is configured), queues the next re-check and returns true: nothing else can have
    /// changed, so nothing else is read. False when the evaluation must go on (an answer is in, the MR is no longer
    /// open, or needs-rebase is not configured); then nothing is queued here.
    /// </summary>
    public async Task<bool> RescheduleIfStillUnsettledAsync(MergeRequestRef mergeRequest, GitLabMergeRequest mr, CompiledConfig config, ReconcileContext context, CancellationToken cancellationToken)
    {
        if (context.RecheckAttempt <= 0 || config.NeedsRebaseLabel is null || mr.State != "opened" || !MergeStatus.IsUnsettled(mr.DetailedMergeStatus))
        {
            return false;
        }
        await ScheduleIfUnsettledAsync(MergeRequestSnapshotReader.Basic(mergeRequest, mr), config, context, cancellationToken);
        Log.StillUnsettled(logger, mergeRequest.ProjectId, mergeRequest.Iid, mr.DetailedMergeStatus!);
        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4403, Level = LogLevel.Debug, Message = "{ProjectId}!{Iid} mergeability still '{Status}': only the MR was read")]
        public static partial void StillUnsettled(ILogger logger, long projectId, long iid, string status);

        [LoggerMessage(EventId = 4401, Level = LogLevel.Information, Message = "{ProjectId}!{Iid} mergeability is '{Status}': re-check {Attempt} in {Delay}")]
        public static partial void Scheduled(ILogger logger, long projectId, long iid, string status, int attempt, TimeSpan delay);

        [LoggerMessage(EventId = 4402, Level = LogLevel.Warning, Message = "{ProjectId}!{Iid} mergeability still '{Status}' after {Attempts} re-checks; waiting for the next event or sweep")]
        public static partial void GaveUp(ILogger logger, long projectId, long iid, string status, int attempts);
    }
}
