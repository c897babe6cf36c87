using GitLabMrBot.GitLab;
using GitLabMrBot.Inbox;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GitLabMrBot.Health;

/// <summary>
/// GitLab's reachability for <c>/readyz</c>'s body. Always healthy: GitLab being down must not take the bot out of its load
/// balancer, since deliveries are still stored (issue 13). Never waits for GitLab: it reports the last look and asks for a
/// fresh one in the background when that look is stale.
/// </summary>
internal sealed class GitLabReachabilityCheck(GitLabReachability reachability) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        reachability.RefreshIfStale();
        var last = reachability.Last;
        var data = new Dictionary<string, object>
        {
            ["reachable"] = last?.Reachable is { } reachable ? reachable : "not checked yet",
        };
        if (last?.Username is { } user)
        {
            data["user"] = user;
        }
        if (last?.Reason is { } reason)
        {
            data["reason"] = reason;
        }
        if (last is not null)
        {
            data["checkedAt"] = last.CheckedAt;
        }
        return Task.FromResult(HealthCheckResult.Healthy(
            last is null ? "not checked yet" : last.Reachable ? $"answers as @{last.Username}" : $"unreachable: {last.Reason}", data));
    }
}

/// <summary>The inbox backlog for <c>/readyz</c>'s body: waiting deliveries, the oldest one's age, dead letters. Always healthy (a backlog is work, not a fault); a store that cannot answer is the inbox check's to report.</summary>
internal sealed class InboxBacklogCheck(IInboxAdmin inbox, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var backlog = await inbox.BacklogAsync(cancellationToken);
            var data = new Dictionary<string, object>
            {
                ["waiting"] = backlog.Waiting,
                ["dead"] = backlog.Dead,
            };
            if (backlog.OldestWaitingReceivedAt is { } oldest)
            {
                data["oldestWaitingSeconds"] = Math.Max(0, Math.Round((time.GetUtcNow() - oldest).TotalSeconds, 1));
            }
            return HealthCheckResult.Healthy($"{backlog.Waiting} waiting, {backlog.Dead} dead", data);
        }
        catch (InboxUnavailableException e)
        {
            return HealthCheckResult.Healthy($"not counted: {e.Message}");
        }
    }
}
