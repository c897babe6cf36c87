using System.Text.Json;
using Carter;
using GitLabMrBot.Inbox;
using GitLabMrBot.Observability;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Webhooks;

/// <summary>
/// <c>POST /webhooks/gitlab</c> (docs/contract.md §4): checks size, content type, authenticity and routing fields in
/// that order, then commits the delivery to the inbox and answers. No GitLab call happens here.
/// </summary>
public sealed partial class WebhookModule : ICarterModule
{
    public const string Path = "/webhooks/gitlab";

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost(Path, ReceiveAsync).WithName("GitLabWebhook").AddEndpointFilter(WebhookTelemetry.CountAsync);
    }

    internal static async Task<IResult> ReceiveAsync(
        HttpContext context,
        [FromServices] IInboxStore store,
        [FromServices] WebhookAuthenticator authenticator,
        [FromServices] IOptions<InboxOptions> options,
        [FromServices] TimeProvider timeProvider,
        [FromServices] ILogger<WebhookModule> logger)
    {
        var request = context.Request;
        var limit = options.Value.MaxBodyBytes;

        // 1. Size. Kestrel's own cap (30 MB by default) is lifted for this endpoint so that ours decides.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } maxBodySize)
        {
            maxBodySize.MaxRequestBodySize = null;
        }
        if (request.ContentLength > limit)
        {
            Log.BodyTooLarge(logger, request.ContentLength, limit);
            return TooLarge(limit);
        }

        // 2. Content type.
        if (!WebhookBody.IsJsonContentType(request.ContentType))
        {
            Log.UnsupportedMediaType(logger, request.ContentType ?? "(none)");
            return TypedResults.Problem(
                title: "Unsupported media type",
                detail: "The body must be JSON: Content-Type application/json.",
                statusCode: StatusCodes.Status415UnsupportedMediaType);
        }

        var read = await WebhookBody.ReadAsync(request, limit, context.RequestAborted);
        if (read.TooLarge)
        {
            Log.BodyTooLarge(logger, null, limit);
            return TooLarge(limit);
        }
        if (read.Body is not { } body)
        {
            Log.BodyTruncated(logger);
            return BadRequest("The body ended before its declared length.");
        }

        // 3. Authenticity (token or signature). The failure reason is logged, never the presented values.
        var authentication = authenticator.Authenticate(request.Headers, body);
        if (!WebhookAuthenticator.IsAuthenticated(authentication))
        {
            Log.Unauthenticated(logger, authentication, context.Connection.RemoteIpAddress?.ToString());
            return TypedResults.Problem(
                title: "Unauthorized",
                detail: "The request needs a valid X-Gitlab-Token header (the webhook's secret token) or a valid Standard Webhooks signature.",
                statusCode: StatusCodes.Status401Unauthorized);
        }

        // 4. Event header and routing fields.
        var eventHeader = request.Headers["X-Gitlab-Event"].ToString();
        if (eventHeader.Length == 0)
        {
            Log.EventHeaderMissing(logger);
            return BadRequest("The X-Gitlab-Event header is missing.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            Log.MalformedJson(logger, eventHeader, e.LineNumber, e.BytePositionInLine);
            return BadRequest($"The body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }

        using (document)
        {
            var route = WebhookRouter.Route(eventHeader, document.RootElement);
            switch (route.Outcome)
            {
                case WebhookRouteOutcome.Invalid:
                    Log.RoutingFieldsInvalid(logger, eventHeader, route.Detail);
                    return BadRequest(route.Detail!);

                // 5. Not an event the bot handles: acknowledged, so GitLab never disables the hook over it.
                case WebhookRouteOutcome.Ignored:
                    Log.EventIgnored(logger, route.EventName, route.Detail);
                    return TypedResults.Json(
                        new WebhookAnswer("ignored", Event: route.EventName, Reason: route.Detail),
                        WebhookAnswerJsonContext.Default.WebhookAnswer,
                        statusCode: StatusCodes.Status202Accepted);

                case WebhookRouteOutcome.Handled:
                default:
                    break;
            }

            var eventUuid = NullIfEmpty(request.Headers["X-Gitlab-Event-UUID"].ToString());
            var delivery = new NewDelivery(
                WebhookRouter.DedupeKey(NullIfEmpty(request.Headers["Idempotency-Key"].ToString()), eventUuid, route, document.RootElement, body),
                eventHeader,
                route.Subject!,
                eventUuid,
                timeProvider.GetUtcNow(),
                body)
            {
                // The worker's processing continues this request's trace.
                TraceParent = BotTelemetry.CurrentTraceParent(),
            };

            // 6./7. Commit. Not cancelled with the request: once GitLab has sent it, a delivery that can still be
            // committed should be (GitLab does not redeliver after its own timeout).
            AppendResult result;
            try
            {
                result = await store.AppendAsync(delivery, CancellationToken.None);
            }
            catch (Exception e)
            {
                Log.StoreUnavailable(logger, e, eventHeader, route.Subject);
                return TypedResults.Problem(
                    title: "Inbox unavailable",
                    detail: "The delivery could not be stored right now; it was not accepted. Retry later.",
                    statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            if (result.Duplicate)
            {
                Log.Duplicate(logger, result.DeliveryId, eventHeader, route.Subject);
                return TypedResults.Json(new WebhookAnswer("duplicate", result.DeliveryId), WebhookAnswerJsonContext.Default.WebhookAnswer, statusCode: StatusCodes.Status200OK);
            }

            Log.Accepted(logger, result.DeliveryId, eventHeader, route.Subject);
            return TypedResults.Json(new WebhookAnswer("accepted", result.DeliveryId), WebhookAnswerJsonContext.Default.WebhookAnswer, statusCode: StatusCodes.Status202Accepted);
        }
    }

    private static ProblemHttpResult TooLarge(long limit) => TypedResults.Problem(
        title: "Payload too large",
        detail: $"The body is larger than the limit of {limit} bytes.",
        statusCode: StatusCodes.Status413PayloadTooLarge);

    private static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(title: "Bad request", detail: detail, statusCode: StatusCodes.Status400BadRequest);

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static partial class Log
    {
        [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Webhook rejected (413): body of {ContentLength} bytes is over the limit of {Limit} bytes")]
        public static partial void BodyTooLarge(ILogger logger, long? contentLength, long limit);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Webhook rejected (415): content type {ContentType} is not JSON")]
        public static partial void UnsupportedMediaType(ILogger logger, string contentType);

        [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Webhook rejected (400): the body ended before its declared length")]
        public static partial void BodyTruncated(ILogger logger);

        [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Webhook rejected (401): {Reason} from {RemoteAddress}")]
        public static partial void Unauthenticated(ILogger logger, AuthenticationResult reason, string? remoteAddress);

        [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Webhook rejected (400): X-Gitlab-Event header missing")]
        public static partial void EventHeaderMissing(ILogger logger);

        [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Webhook rejected (400): {Event} body is not valid JSON (line {Line}, byte {Position})")]
        public static partial void MalformedJson(ILogger logger, string @event, long? line, long? position);

        [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Webhook rejected (400): {Event} routing fields invalid: {Detail}")]
        public static partial void RoutingFieldsInvalid(ILogger logger, string @event, string? detail);

        [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Webhook ignored: {Event}: {Reason}")]
        public static partial void EventIgnored(ILogger logger, string @event, string? reason);

        [LoggerMessage(EventId = 1009, Level = LogLevel.Information, Message = "Webhook duplicate of delivery {DeliveryId} ({Event}, {Subject})")]
        public static partial void Duplicate(ILogger logger, string deliveryId, string @event, string? subject);

        [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Webhook accepted as delivery {DeliveryId} ({Event}, {Subject})")]
        public static partial void Accepted(ILogger logger, string deliveryId, string @event, string? subject);

        [LoggerMessage(EventId = 1011, Level = LogLevel.Error, Message = "Webhook not stored (503): the inbox failed for {Event} {Subject}")]
        public static partial void StoreUnavailable(ILogger logger, Exception exception, string @event, string? subject);
    }
}
