using System.Text.Json.Serialization;
using Carter;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GitLabMrBot.Health;

/// <summary><c>GET /healthz</c> (the process runs) and <c>GET /readyz</c> (every <see cref="IReadinessCheck"/> passes).</summary>
public sealed partial class HealthModule : ICarterModule
{
    // A check that hangs must not hang the probe: it counts as not ready.
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthStatus("ok")));
        app.MapGet("/readyz", ReadyAsync);
    }

    internal static async Task<IResult> ReadyAsync(
        [FromServices] IEnumerable<IReadinessCheck> checks,
        [FromServices] ILogger<HealthModule> logger,
        CancellationToken cancellationToken)
    {
        var results = new Dictionary<string, string>(StringComparer.Ordinal);
        var ready = true;
        foreach (var check in checks)
        {
            var ok = await RunAsync(check, logger, cancellationToken);
            results[check.Name] = ok ? "ready" : "not ready";
            ready &= ok;
        }

        return ready
            ? TypedResults.Ok(new ReadinessStatus("ready", results))
            : TypedResults.Json(new ReadinessStatus("not ready", results), statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<bool> RunAsync(IReadinessCheck check, ILogger logger, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            var ok = await check.IsReadyAsync(timeout.Token);
            if (!ok)
            {
                Log.NotReady(logger, check.Name);
            }
            return ok;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.CheckFailed(logger, e, check.Name);
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "Readiness check {Check} is not ready")]
        public static partial void NotReady(ILogger logger, string check);

        [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "Readiness check {Check} failed")]
        public static partial void CheckFailed(ILogger logger, Exception exception, string check);
    }
}

public sealed record HealthStatus(string Status);

public sealed record ReadinessStatus(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("checks")] IReadOnlyDictionary<string, string> Checks);

public static class HealthServiceCollectionExtensions
{
    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IReadinessCheck, InboxReadinessCheck>());
        return services;
    }
}
