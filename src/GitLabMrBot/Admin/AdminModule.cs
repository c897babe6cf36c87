using Carter;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace GitLabMrBot.Admin;

/// <summary>
/// The operator's HTTP API under <c>/api</c>: dead letters (list, show, retry, drop) and each MR's decision log. Every
/// route needs <see cref="AdminToken"/> (401 without it or with a wrong one); without <c>MRBOT_ADMIN_TOKEN</c> none is
/// mapped (404). Reads and changes the store directly, as <c>mrbot deliveries</c> and <c>mrbot explain</c> do.
/// </summary>
public sealed partial class AdminModule : ICarterModule
{
    public const string Prefix = "/api";

    /// <summary>Decision records one request returns at most.</summary>
    private const int MaxDecisions = 100;

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var token = app.ServiceProvider.GetRequiredService<AdminToken>();
        var logger = app.ServiceProvider.GetRequiredService<ILogger<AdminModule>>();
        if (!token.Enabled)
        {
            // Off, never open: the routes do not exist.
            if (token.RefusedBecause is { } why)
            {
                Log.Refused(logger, why);
            }
            return;
        }

        var api = app.MapGroup(Prefix).AddEndpointFilter(async (context, next) =>
            token.Accepts(context.HttpContext.Request)
                ? await next(context)
                : Unauthorized(context.HttpContext));
        api.MapGet("/deliveries", ListDeliveriesAsync);
        api.MapGet("/deliveries/{id}", GetDeliveryAsync);
        api.MapPost("/deliveries/{id}/retry", RetryDeliveryAsync);
        api.MapDelete("/deliveries/{id}", DropDeliveryAsync);
        api.MapGet("/merge-requests/{projectId:long}/{iid:long}/decisions", DecisionsAsync);
    }

    /// <summary>The admin routes, for tests and documentation: method and path template.</summary>
    public static IReadOnlyList<(string Method, string Path)> Routes { get; } =
    [
        ("GET", "/api/deliveries"),
        ("GET", "/api/deliveries/{id}"),
        ("POST", "/api/deliveries/{id}/retry"),
        ("DELETE", "/api/deliveries/{id}"),
        ("GET", "/api/merge-requests/{projectId}/{iid}/decisions"),
    ];

    private static ProblemHttpResult Unauthorized(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return TypedResults.Problem(
            title: "Unauthorized",
            detail: $"Send Authorization: Bearer <{AdminToken.Key}>.",
            statusCode: StatusCodes.Status401Unauthorized);
    }

    internal static async Task<IResult> ListDeliveriesAsync([FromServices] IInboxStore store, [FromQuery] string? state, CancellationToken cancellationToken)
    {
        if (!DeliveryStates.TryParse(state, out var status))
        {
            return BadState(state);
        }
        var deliveries = await store.ListAsync(status, cancellationToken);
        return TypedResults.Ok(deliveries.Select(d => DeliveryView.Of(d, withBody: false)).ToList());
    }

    internal static async Task<IResult> GetDeliveryAsync([FromServices] IInboxAdmin inbox, string id, CancellationToken cancellationToken) =>
        await inbox.GetAsync(id, cancellationToken) is { } delivery
            ? TypedResults.Ok(DeliveryView.Of(delivery, withBody: true))
            : NotFound(id);

    internal static async Task<IResult> RetryDeliveryAsync(
        [FromServices] IInboxAdmin inbox, [FromServices] ILogger<AdminModule> logger, string id, CancellationToken cancellationToken)
    {
        var result = await inbox.RetryAsync(id, cancellationToken);
        if (result.Delivery is not { } delivery)
        {
            return NotFound(id);
        }
        if (result.Requeued)
        {
            Log.Retried(logger, id, delivery.Subject);
        }
        return TypedResults.Ok(new RetryView(result.Requeued, DeliveryView.Of(delivery, withBody: false)));
    }

    internal static async Task<IResult> DropDeliveryAsync(
        [FromServices] IInboxAdmin inbox, [FromServices] ILogger<AdminModule> logger, string id, CancellationToken cancellationToken)
    {
        var result = await inbox.DropAsync(id, cancellationToken);
        switch (result.Outcome)
        {
            case DropOutcome.Dropped:
                Log.Dropped(logger, id);
                return TypedResults.NoContent();
            case DropOutcome.NotFound:
                return NotFound(id);
            default:
                return TypedResults.Problem(
                    title: "Not dropped",
                    detail: $"Delivery {id} is {DeliveryStates.Word(result.Status!.Value)}: only dead or done deliveries are dropped (the worker owns the others).",
                    statusCode: StatusCodes.Status409Conflict);
        }
    }

    internal static async Task<IResult> DecisionsAsync(
        [FromServices] IDecisionLog log, long projectId, long iid, [FromQuery] int? limit, CancellationToken cancellationToken)
    {
        var records = await log.ListAsync(projectId, iid, Math.Clamp(limit ?? MaxDecisions, 1, MaxDecisions), cancellationToken);
        return TypedResults.Ok(records);
    }

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(title: "Not found", detail: $"The store has no delivery {id}.", statusCode: StatusCodes.Status404NotFound);

    private static ProblemHttpResult BadState(string? state) =>
        TypedResults.Problem(
            title: "Unknown state",
            detail: $"state '{state}' is none of {string.Join(", ", DeliveryStates.Words)}.",
            statusCode: StatusCodes.Status400BadRequest);

    private static partial class Log
    {
        [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "Operator API off: {Reason}")]
        public static partial void Refused(ILogger logger, string reason);

        [LoggerMessage(EventId = 8002, Level = LogLevel.Information, Message = "Operator re-queued delivery {DeliveryId} ({Subject})")]
        public static partial void Retried(ILogger logger, string deliveryId, string subject);

        [LoggerMessage(EventId = 8003, Level = LogLevel.Information, Message = "Operator dropped delivery {DeliveryId}")]
        public static partial void Dropped(ILogger logger, string deliveryId);
    }
}

/// <summary>The state words of the API and the CLI (<c>?state=dead</c>, <c>--state dead</c>); <c>all</c> lists every state.</summary>
public static class DeliveryStates
{
    public const string Default = "dead";
    public const string All = "all";

    public static IReadOnlyList<string> Words { get; } = ["pending", "processing", "done", "dead", All];

    /// <summary>Null (default) means dead letters; <c>all</c> gives a null status.</summary>
    public static bool TryParse(string? word, out DeliveryStatus? status)
    {
        status = null;
        switch ((word ?? Default).Trim().ToLowerInvariant())
        {
            case All:
                return true;
            case "pending":
                status = DeliveryStatus.Pending;
                return true;
            case "processing":
                status = DeliveryStatus.Processing;
                return true;
            case "done":
                status = DeliveryStatus.Done;
                return true;
            case "dead":
                status = DeliveryStatus.Dead;
                return true;
            default:
                return false;
        }
    }

    public static string Word(DeliveryStatus status) => status.ToString().ToLowerInvariant();
}

/// <summary>A delivery as operators see it; the body (the payload as GitLab sent it) only when one is shown.</summary>
public sealed record DeliveryView(
    string Id,
    string Event,
    string Subject,
    string? EventUuid,
    DateTimeOffset ReceivedAt,
    string State,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LastError,
    string? Body)
{
    public static DeliveryView Of(StoredDelivery d, bool withBody) => new(
        d.Id, d.Event, d.Subject, d.EventUuid, d.ReceivedAt, DeliveryStates.Word(d.Status), d.Attempts, d.NextAttemptAt, d.LastError,
        withBody ? System.Text.Encoding.UTF8.GetString(d.Body.Span) : null);
}

public sealed record RetryView(bool Requeued, DeliveryView Delivery);
