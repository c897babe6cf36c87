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
        [FromServices] WebhookBodyBudget budget,
        [FromServices] IOptions<InboxOptions> options,
        [FromServices] IOptions<IntakeOptions> intake,
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

        // 3. Authenticity, before the body is read: an unauthenticated body is never buffered. The token is a header; a
        // signature covers the body, so only its headers (present, well formed, timestamp in tolerance) are checked
        // here, and the signature itself once the body is read. The failure reason is logged, never the presented values.
        var authentication = authenticator.AuthenticateHeaders(request.Headers);
        if (authentication is not (AuthenticationResult.Token or AuthenticationResult.SignatureToVerify))
        {
            return Unauthorized(context, logger, authentication, bodyRead: false);
        }

        // Then the body, within the budget of bodies in flight (still step 3 of docs/contract.md §4: the signature needs it).
        using var reservation = budget.Open();
        var read = await WebhookBody.ReadAsync(request, limit, reservation, context.RequestAborted);
        if (read.OverBudget)
        {
            Log.OverBudget(logger, request.ContentLength, budget.Limit);
            CloseUnreadConnection(context);
            return Unavailable(context, intake.Value, "Too many webhook bodies are being received at once. Retry later.");
        }
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

        if (authentication == AuthenticationResult.SignatureToVerify)
        {
            authentication = authenticator.VerifySignature(request.Headers, body);
            if (authentication != AuthenticationResult.Signature)
            {
                return Unauthorized(context, logger, authentication, bodyRead: true);
            }
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
            // Before routing, which reads strings (object_kind, ref) that must decode (issue 12, defect 3).
            if (DeliveryPayloadCheck.CheckUtf8(body) is { } notUtf8)
            {
                DeliveryPayloadCheck.LogRejected(logger, eventHeader, notUtf8.Field);
                return notUtf8.ToResult();
            }
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

            // What the worker could never read is refused here, before it is stored (issue 12, defect 3).
            if (DeliveryPayloadCheck.CheckReadable(route.Kind, body) is { } unreadable)
            {
                DeliveryPayloadCheck.LogRejected(logger, eventHeader, unreadable.Field);
                return unreadable.ToResult();
            }

            var eventUuid = NullIfEmpty(request.Headers["X-Gitlab-Event-UUID"].ToString());
            var delivery = new NewDelivery(
                WebhookRouter.DedupeKey(
                    WebhookRouter.DeliveryId(NullIfEmpty(request.Headers["webhook-id"].ToString()), NullIfEmpty(request.Headers["Idempotency-Key"].ToString())),
                    eventUuid, route, document.RootElement, body),
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
                return Unavailable(context, intake.Value, "The delivery could not be stored right now; it was not accepted. Retry later.", "Inbox unavailable");
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

    private static ProblemHttpResult Unauthorized(HttpContext context, ILogger logger, AuthenticationResult reason, bool bodyRead)
    {
        Log.Unauthenticated(logger, reason, context.Connection.RemoteIpAddress?.ToString());
        if (!bodyRead)
        {
            CloseUnreadConnection(context);
        }
        return TypedResults.Problem(
            title: "Unauthorized",
            detail: "The request needs a valid X-Gitlab-Token header (the webhook's secret token) or a valid Standard Webhooks signature.",
            statusCode: StatusCodes.Status401Unauthorized);
    }

    private static ProblemHttpResult Unavailable(HttpContext context, IntakeOptions intake, string detail, string title = "Service unavailable")
    {
        context.Response.Headers.RetryAfter = ((long)Math.Ceiling(intake.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(title: title, detail: detail, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    // The body was left unread: the connection is closed after the answer instead of reading the rest to reuse it.
    private static void CloseUnreadConnection(HttpContext context) => context.Response.Headers.Connection = "close";

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

        [LoggerMessage(EventId = 1041, Level = LogLevel.Warning, Message = "Webhook refused (503): a body of {ContentLength} bytes would take the bodies in flight over {Limit} bytes")]
        public static partial void OverBudget(ILogger logger, long? contentLength, long limit);
    }
}
