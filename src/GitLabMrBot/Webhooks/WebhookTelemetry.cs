using System.Diagnostics;
using GitLabMrBot.Observability;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GitLabMrBot.Webhooks;

/// <summary>
/// Counts every webhook request by GitLab event and the bot's answer (<c>mrbot.webhook.deliveries</c>) and tags the
/// request's span with the delivery it became. An endpoint filter, so the endpoint's many early answers need no hook each.
/// </summary>
internal static class WebhookTelemetry
{
    public static async ValueTask<object?> CountAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        var (answer, status, delivery) = result switch
        {
            JsonHttpResult<WebhookAnswer> json => (json.Value?.Status ?? "unknown", json.StatusCode ?? StatusCodes.Status200OK, json.Value?.Delivery),
            IStatusCodeHttpResult coded => ("rejected", coded.StatusCode ?? StatusCodes.Status500InternalServerError, null),
            _ => ("unknown", StatusCodes.Status500InternalServerError, null),
        };
        // Only an authenticated request's event header is trusted as a label value (and only when it looks like one):
        // anyone can send any header, and every distinct value would be a new time series.
        var eventName = answer == "rejected" ? "unknown" : EventLabel(context.HttpContext.Request.Headers["X-Gitlab-Event"].ToString());
        BotTelemetry.WebhookDeliveries.Add(1,
            new KeyValuePair<string, object?>("gitlab.event", eventName),
            new KeyValuePair<string, object?>("mrbot.answer", answer),
            new KeyValuePair<string, object?>("http.response.status_code", status));
        if (delivery is not null)
        {
            Activity.Current?.SetTag("mrbot.delivery.id", delivery);
        }
        return result;
    }

    /// <summary>GitLab's event names are a few words ending in "Hook" (docs/gitlab-behaviour.md §1.2); anything else is "other".</summary>
    internal static string EventLabel(string header) =>
        header.Length is > 0 and <= 40 && header.EndsWith(" Hook", StringComparison.Ordinal) && header.All(c => char.IsAsciiLetter(c) || c == ' ')
            ? header
            : "other";
}
