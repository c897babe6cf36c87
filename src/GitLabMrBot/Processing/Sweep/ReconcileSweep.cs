using System.Globalization;
using System.Net;
using GitLabMrBot.Configuration;
using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Processing.Reconciliation;
using GitLabMrBot.Storage;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Processing.Sweep;

/// <summary>
/// GitLab never redelivers a webhook that failed and disables a hook that keeps failing, so events alone drift.
/// Every <see cref="SweepOptions.Interval"/> (and once at start-up, covering the time the bot was down) this lists
/// the open MRs updated since the last sweep, in the projects the bot has seen events from and in the groups of
/// <c>sweep.groups</c>, and queues an evaluation of each in the inbox, where it coalesces with queued deliveries.
/// </summary>
public sealed partial class ReconcileSweep(
    IServiceScopeFactory scopes,
    ISweepState state,
    PolicyConfigProvider config,
    ReconcileQueue queue,
    ExistingMergeRequestState existing,
    IOptions<SweepOptions> options,
    TimeProvider time,
    ILogger<ReconcileSweep> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the start-up path: the host answers webhooks while the first sweep lists GitLab.
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.SweepFailed(logger, e);
            }

            try
            {
                await Task.Delay(options.Value.Interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One sweep; returns how many evaluations it queued. The watermark moves only when every listing succeeded.</summary>
    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        var last = await state.LastSweepAsync(cancellationToken);
        // The first sweep's start is the installation: MRs opened before it get what sweep.existingMergeRequests says.
        await existing.RecordInstallationAsync(startedAt, sweptBefore: last is not null, cancellationToken);
        // Before any sweep there is no "since": every open MR of the known projects and groups is due.
        DateTimeOffset? since = last is { } at ? at - options.Value.Overlap : null;
        var projects = await state.KnownProjectsAsync(cancellationToken);
        var groups = config.Current.SweepGroups;

        await using var scope = scopes.CreateAsyncScope();
        var gitLab = scope.ServiceProvider.GetRequiredService<IGitLabDirectory>();
        var filter = new MergeRequestFilter { State = "opened", UpdatedAfter = since };
        var found = new List<MergeRequestRef>();
        var complete = true;

        foreach (var projectId in projects)
        {
            try
            {
                found.AddRange((await gitLab.ListMergeRequestsAsync(projectId, filter, cancellationToken)).Select(m => new MergeRequestRef(projectId, m.Iid)));
            }
            catch (GitLabApiException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
            {
                // Deleted, or the bot lost access: nothing there to evaluate, now or later.
                Log.ProjectGone(logger, projectId, (int)e.StatusCode!);
            }
            catch (GitLabApiException e)
            {
                complete = false;
                Log.ListingFailed(logger, $"project {projectId}", e);
            }
        }

        foreach (var group in groups)
        {
            try
            {
                found.AddRange((await gitLab.ListGroupMergeRequestsAsync(group, filter, cancellationToken)).Select(m => new MergeRequestRef(m.ProjectId, m.Iid)));
            }
            catch (GitLabApiException e)
            {
                complete = false;
                Log.ListingFailed(logger, $"group {group}", e);
            }
        }

        var queued = 0;
        var sweepId = startedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        foreach (var mr in found.Distinct())
        {
            var request = new ReconcileRequest { ProjectId = mr.ProjectId, Iid = mr.Iid, Reason = ReconcileRequest.SweepReason };
            if (await queue.QueueAsync(request, $"sweep:{sweepId}:{mr.ProjectId}:{mr.Iid}", eventUuid: null, cancellationToken))
            {
                queued++;
            }
        }

        if (complete)
        {
            await state.SetLastSweepAsync(startedAt, cancellationToken);
        }
        Log.Swept(logger, projects.Count, groups.Count, since is { } from ? $"updated since {from:u}" : "all open", queued, complete);
        return queued;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3401, Level = LogLevel.Information, Message = "Sweep of {Projects} projects and {Groups} groups ({Which} MRs): {Queued} evaluations queued; complete: {Complete}")]
        public static partial void Swept(ILogger logger, int projects, int groups, string which, int queued, bool complete);

        [LoggerMessage(EventId = 3402, Level = LogLevel.Warning, Message = "Sweep could not list the open MRs of {Scope}; the next sweep covers them again")]
        public static partial void ListingFailed(ILogger logger, string scope, Exception exception);

        [LoggerMessage(EventId = 3403, Level = LogLevel.Information, Message = "Sweep skipped project {ProjectId}: GitLab answered {Status}")]
        public static partial void ProjectGone(ILogger logger, long projectId, int status);

        [LoggerMessage(EventId = 3404, Level = LogLevel.Error, Message = "Sweep failed; the next one retries")]
        public static partial void SweepFailed(ILogger logger, Exception exception);
    }
}
