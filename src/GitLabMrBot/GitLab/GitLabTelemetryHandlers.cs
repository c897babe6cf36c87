using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Metrics;
using System.Threading.RateLimiting;
using GitLabMrBot.Observability;
using Polly.RateLimiting;

namespace GitLabMrBot.GitLab;

/// <summary>
/// Outermost GitLab handler, once per call: names the call by its endpoint template (<c>/projects/:id/merge_requests/:iid</c>)
/// for the standard <c>http.client.request.duration</c> metric (as <c>url.template</c>), the retry counter and the call's
/// span. Never the raw path: ids make every MR a new time series.
/// </summary>
public sealed class GitLabTelemetryHandler : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(BotTelemetry.UrlTemplateKey, out _))
        {
            request.Options.Set(BotTelemetry.UrlTemplateKey, GitLabCallTemplate.Of(request));
        }
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Innermost GitLab handler, every attempt: remembers GitLab's <c>RateLimit-Remaining</c> (docs/gitlab-behaviour.md §3.8).</summary>
public sealed class GitLabRateLimitHeaderHandler(GitLabHeadroom headroom) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Per attempt: HttpClient runs and then forgets the enrichment callbacks each time it records a request.
        HttpMetricsEnrichmentContext.AddCallback(request, static context =>
        {
            if (context.Request?.Options.TryGetValue(BotTelemetry.UrlTemplateKey, out var template) == true)
            {
                context.AddCustomTag("url.template", template);
            }
        });
        request.Options.TryGetValue(BotTelemetry.UrlTemplateKey, out var called);
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            headroom.Failed(request.Method.Method, called, e.Message);
            throw;
        }
        var remaining = Header(response, "RateLimit-Remaining");
        if (remaining is { } left)
        {
            BotTelemetry.ObserveRateLimitRemaining(left);
        }
        headroom.Answered(request.Method.Method, called, (int)response.StatusCode, remaining, Header(response, "RateLimit-Limit"));
        return response;
    }

    private static long? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values)
            && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
}


/// <summary>The endpoint template of a GitLab call, in GitLab's own notation.</summary>
public static class GitLabCallTemplate
{
    // Refit puts the method's route template (with {placeholders}) on every request it builds.
    private const string RefitTemplateOption = "Refit.RelativePathTemplate";

    // Our parameter names → the names GitLab's API documentation uses (`/projects/:id/merge_requests/:iid`).
    private static readonly Dictionary<string, string> PlaceholderNames = new(StringComparer.Ordinal)
    {
        ["projectId"] = "id",
        ["groupId"] = "id",
        ["encodedGroup"] = "id",
        ["encodedGroupPath"] = "id",
        ["encodedProject"] = "id",
        ["userId"] = "user_id",
        ["hookId"] = "hook_id",
        ["noteId"] = "note_id",
        ["encodedBranch"] = "branch",
        ["encodedFilePath"] = "file_path",
    };

    public static string Of(HttpRequestMessage request)
    {
        if (((IDictionary<string, object?>)request.Options).TryGetValue(RefitTemplateOption, out var value) && value is string template && template.Length > 0)
        {
            return FromRefit(template);
        }
        return Normalize(request.RequestUri?.AbsolutePath ?? "");
    }

    /// <summary><c>/projects/{projectId}/merge_requests/{iid}?x={y}</c> → <c>/projects/:id/merge_requests/:iid</c>.</summary>
    public static string FromRefit(string template)
    {
        var path = template.Split('?', 2)[0];
        var segments = path.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.StartsWith('{') && segment.EndsWith('}'))
            {
                var name = segment[1..^1].TrimStart('*');
                segments[i] = ":" + (PlaceholderNames.TryGetValue(name, out var gitLabName) ? gitLabName : name);
            }
        }
        return string.Join('/', segments);
    }

    /// <summary>A path without a template: every number or escaped segment becomes a placeholder, so ids and names never show.</summary>
    public static string Normalize(string path)
    {
        const string Api = "/api/v4";
        var index = path.IndexOf(Api, StringComparison.Ordinal);
        var relative = index >= 0 ? path[(index + Api.Length)..] : path;
        var segments = relative.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.Length > 0 && (segment.All(char.IsAsciiDigit) || segment.Contains('%', StringComparison.Ordinal) || segment.Contains('.', StringComparison.Ordinal)))
            {
                segments[i] = ":id";
            }
        }
        return string.Join('/', segments);
    }
}

/// <summary>The bot's own request budget as a pipeline strategy that also measures who had to wait for it.</summary>
public static class GitLabRateLimiterTelemetry
{
    public static RateLimiterStrategyOptions Options(RateLimiter limiter) => new()
    {
        RateLimiter = async args =>
        {
            var lease = limiter.AttemptAcquire(1);
            if (lease.IsAcquired)
            {
                return lease;
            }
            lease.Dispose();
            var started = Stopwatch.GetTimestamp();
            lease = await limiter.AcquireAsync(1, args.Context.CancellationToken);
            var outcome = new KeyValuePair<string, object?>("outcome", lease.IsAcquired ? "acquired" : "rejected");
            BotTelemetry.RateLimiterWaits.Add(1, outcome);
            BotTelemetry.RateLimiterWaitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, outcome);
            return lease;
        },
    };
}
