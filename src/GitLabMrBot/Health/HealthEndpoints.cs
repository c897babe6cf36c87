using System.Text.Json.Serialization;
using GitLabMrBot.GitLab;
using GitLabMrBot.Inbox;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GitLabMrBot.Health;

/// <summary>
/// <c>GET /healthz</c> (the process runs: no check) and <c>GET /readyz</c> (every check tagged <see cref="ReadyTag"/>
/// passes), on ASP.NET Core Health Checks. A feature adds its condition with
/// <c>services.AddHealthChecks().AddCheck&lt;MyCheck&gt;("name", tags: [HealthEndpoints.ReadyTag])</c>
/// (the policy config adds "config").
/// </summary>
public static class HealthEndpoints
{
    public const string ReadyTag = "ready";

    /// <summary>Informational checks (always healthy): their findings are in <c>/readyz</c>'s body.</summary>
    internal const string GitLabCheck = "gitlab";
    internal const string BacklogCheck = "backlog";

    // A check that hangs must not hang the probe: it counts as not ready.
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<InboxHealthCheck>("inbox", failureStatus: null, tags: [ReadyTag], timeout: CheckTimeout)
            .AddCheck<GitLabReachabilityCheck>(GitLabCheck, failureStatus: HealthStatus.Healthy, tags: [ReadyTag], timeout: CheckTimeout)
            .AddCheck<InboxBacklogCheck>(BacklogCheck, failureStatus: HealthStatus.Healthy, tags: [ReadyTag], timeout: CheckTimeout);
        services.AddOptions<GitLabReachabilityOptions>().BindConfiguration(GitLabReachabilityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<GitLabReachability>();
        services.AddHostedService<GitLabStartupProbe>();
        return services;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = (context, _) => context.Response.WriteAsJsonAsync(new LiveStatus("ok")),
        });
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = ReadinessResponse.WriteAsync,
            // Ready or not: a degraded check is as unready as a failed one.
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });
        return app;
    }
}

public sealed record LiveStatus([property: JsonPropertyName("status")] string Status);

/// <summary>Ready when the inbox store answers and, when it can tell (<see cref="IInboxWriteHealth"/>), writes.</summary>
internal sealed class InboxHealthCheck(IInboxStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!await store.PingAsync(cancellationToken))
        {
            return HealthCheckResult.Unhealthy("the inbox store does not answer");
        }
        return store is IInboxWriteHealth writes && await writes.WriteProblemAsync(cancellationToken) is { } problem
            ? HealthCheckResult.Unhealthy(problem)
            : HealthCheckResult.Healthy();
    }
}
