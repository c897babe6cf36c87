using System.Globalization;
using Carter;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GitLabMrBot.Admin.Status;

/// <summary>
/// The status page at <c>/status</c>: server-rendered HTML (Razor components rendered statically, which HTML-encode every
/// value), no script, no external asset. Like <c>/api</c> it exists only with <c>MRBOT_ADMIN_TOKEN</c> (404 otherwise) and
/// needs the token: as <c>Authorization: Bearer</c> (scripts), or as the sign-in cookie a person gets by typing it into the
/// form the page shows without a credential. Every POST also needs the page's antiforgery field (ASP.NET Core antiforgery),
/// so another site cannot make a signed-in browser retry or drop a delivery.
/// </summary>
public sealed partial class StatusModule : ICarterModule
{
    public const string Prefix = "/status";

    /// <summary>The sign-in cookie: HttpOnly, SameSite=Strict, Secure over HTTPS, sent to <c>/status</c> only.</summary>
    public const string CookieName = "mrbot_status";

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var token = app.ServiceProvider.GetRequiredService<AdminToken>();
        if (!token.Enabled)
        {
            // Off, never open: the routes do not exist (AdminModule logs why a configured token was refused).
            return;
        }

        var status = app.MapGroup(Prefix).AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            SecurityHeaders(http.Response);
            var signingIn = http.Request.Path.Equals(Prefix + SignInPath, StringComparison.OrdinalIgnoreCase);
            if (!signingIn && !SignedIn(token, http.Request))
            {
                return SignInForm(http, refused: false);
            }
            if (HttpMethods.IsPost(http.Request.Method) && !await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http))
            {
                return TypedResults.Problem(
                    title: "Bad request",
                    detail: "The form's antiforgery field is missing or stale: reload /status and try again.",
                    statusCode: StatusCodes.Status400BadRequest);
            }
            return await next(context);
        });
        status.MapGet("", PageAsync);
        status.MapPost(SignInPath, SignInAsync);
        status.MapPost("/sign-out", SignOut);
        status.MapPost("/deliveries/{id}/retry", RetryAsync);
        status.MapPost("/deliveries/{id}/drop", DropAsync);
        status.MapGet("/merge-requests/{projectId:long}/{iid:long}", DecisionsAsync);
    }

    private const string SignInPath = "/sign-in";

    private static bool SignedIn(AdminToken token, HttpRequest request) =>
        token.Accepts(request) | token.AcceptsCookie(request.Cookies[CookieName]);

    // No script may run, nothing loads from elsewhere, no other site frames it, and nothing of it is cached or sent on as a referrer.
    private static void SecurityHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        // The same values antiforgery sets on every page with a form: it then has nothing to override (and logs no warning).
        response.Headers.CacheControl = "no-cache, no-store";
        response.Headers.Pragma = "no-cache";
    }

    private static AntiforgeryField Antiforgery(HttpContext context)
    {
        var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        return new AntiforgeryField(tokens.FormFieldName, tokens.RequestToken!);
    }

    private static RazorComponentResult<SignInPage> SignInForm(HttpContext context, bool refused)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return new RazorComponentResult<SignInPage>(new Dictionary<string, object?>
        {
            [nameof(SignInPage.Antiforgery)] = Antiforgery(context),
            [nameof(SignInPage.Refused)] = refused,
        })
        { StatusCode = StatusCodes.Status401Unauthorized };
    }

    internal static async Task<IResult> PageAsync(HttpContext context, StatusReader reader, string? done, string? id, CancellationToken cancellationToken)
    {
        var view = await reader.ReadAsync(cancellationToken);
        return new RazorComponentResult<StatusPage>(new Dictionary<string, object?>
        {
            [nameof(StatusPage.View)] = view,
            [nameof(StatusPage.Antiforgery)] = Antiforgery(context),
            [nameof(StatusPage.Message)] = Message(done, id),
        });
    }

    internal static async Task<IResult> SignInAsync(HttpContext context, AdminToken token, ILogger<StatusModule> logger)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (!token.Matches(form["token"].ToString()))
        {
            Log.SignInRefused(logger, context.Connection.RemoteIpAddress);
            return SignInForm(context, refused: true);
        }
        context.Response.Cookies.Append(CookieName, token.SignInCookieValue!, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            // Secure when the browser came over HTTPS; over plain HTTP a Secure cookie would never come back.
            Secure = context.Request.IsHttps,
            Path = Prefix,
            IsEssential = true,
        });
        Log.SignedIn(logger, context.Connection.RemoteIpAddress);
        return new SeeOtherResult(Prefix);
    }

    internal static IResult SignOut(HttpContext context)
    {
        context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = Prefix, HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps });
        return new SeeOtherResult(Prefix);
    }

    internal static async Task<IResult> RetryAsync(IInboxAdmin inbox, ILogger<StatusModule> logger, string id, CancellationToken cancellationToken)
    {
        var result = await inbox.RetryAsync(id, cancellationToken);
        if (result.Delivery is not { } delivery)
        {
            return Done("not-found", id);
        }
        if (!result.Requeued)
        {
            return Done("not-dead", delivery.Id);
        }
        Log.Retried(logger, delivery.Id, delivery.Subject);
        return Done("requeued", delivery.Id);
    }

    internal static async Task<IResult> DropAsync(IInboxAdmin inbox, ILogger<StatusModule> logger, string id, CancellationToken cancellationToken)
    {
        var result = await inbox.DropAsync(id, cancellationToken);
        switch (result.Outcome)
        {
            case DropOutcome.Dropped:
                Log.Dropped(logger, id);
                return Done("dropped", id);
            case DropOutcome.NotFound:
                return Done("not-found", id);
            default:
                return Done("not-dropped", id);
        }
    }

    internal static async Task<IResult> DecisionsAsync(IDecisionLog log, long projectId, long iid, CancellationToken cancellationToken)
    {
        var records = await log.ListAsync(projectId, iid, 100, cancellationToken);
        return new RazorComponentResult<DecisionsPage>(new Dictionary<string, object?>
        {
            [nameof(DecisionsPage.ProjectId)] = projectId,
            [nameof(DecisionsPage.Iid)] = iid,
            [nameof(DecisionsPage.Records)] = records,
        });
    }

    // Post, redirect, get: reloading the page shows the state, never posts again. The outcome travels as a fixed word and an id.
    private static SeeOtherResult Done(string outcome, string id) =>
        new($"{Prefix}?done={outcome}&id={Uri.EscapeDataString(id)}");

    /// <summary>The line for an outcome word; null for none or an unknown word (a hand-made URL shows nothing).</summary>
    internal static StatusMessage? Message(string? done, string? id)
    {
        if (done is null || !long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }
        return done switch
        {
            "requeued" => new StatusMessage($"Delivery {number} re-queued: the worker takes it now.", Bad: false),
            "not-dead" => new StatusMessage($"Delivery {number} was not dead (already re-queued, in flight or done): nothing changed.", Bad: false),
            "dropped" => new StatusMessage($"Delivery {number} dropped.", Bad: false),
            "not-dropped" => new StatusMessage($"Delivery {number} is waiting or in flight: not dropped (the worker owns it).", Bad: true),
            "not-found" => new StatusMessage($"The store has no delivery {number} (dropped already?).", Bad: true),
            _ => null,
        };
    }

    /// <summary>303 See Other: the browser follows with a GET.</summary>
    private sealed class SeeOtherResult(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 8004, Level = LogLevel.Information, Message = "Status page: signed in from {RemoteAddress}")]
        public static partial void SignedIn(ILogger logger, System.Net.IPAddress? remoteAddress);

        [LoggerMessage(EventId = 8005, Level = LogLevel.Warning, Message = "Status page: a wrong admin token was typed in from {RemoteAddress}")]
        public static partial void SignInRefused(ILogger logger, System.Net.IPAddress? remoteAddress);

        [LoggerMessage(EventId = 8006, Level = LogLevel.Information, Message = "Operator re-queued delivery {DeliveryId} ({Subject}) on the status page")]
        public static partial void Retried(ILogger logger, string deliveryId, string subject);

        [LoggerMessage(EventId = 8007, Level = LogLevel.Information, Message = "Operator dropped delivery {DeliveryId} on the status page")]
        public static partial void Dropped(ILogger logger, string deliveryId);
    }
}
