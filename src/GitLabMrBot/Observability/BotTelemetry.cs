using System.Diagnostics;
using System.Diagnostics.Metrics;
using GitLabMrBot.Events;
using GitLabMrBot.Inbox;

namespace GitLabMrBot.Observability;

/// <summary>
/// The bot's one <see cref="Meter"/> and one <see cref="ActivitySource"/>, both named <see cref="Name"/>, and every
/// instrument on them. Static so that any layer records with one line; the OpenTelemetry SDK (see
/// <see cref="ObservabilityServiceCollectionExtensions"/>) decides what is collected and where it goes. Tag values
/// are always from small fixed sets (event names, outcomes, endpoint templates): never a raw path, id or secret.
/// </summary>
public static class BotTelemetry
{
    public const string Name = "GitLabMrBot";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    /// <summary>A GitLab call's endpoint template, set once per call by the GitLab client (e.g. <c>/projects/:id/merge_requests/:iid</c>).</summary>
    public static readonly HttpRequestOptionsKey<string> UrlTemplateKey = new("GitLabMrBot.UrlTemplate");

    // Seconds, from 5 ms to 2 minutes: an evaluation is a few GitLab calls, a rate-limited one waits much longer.
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    public static readonly Counter<long> WebhookDeliveries = Meter.CreateCounter<long>(
        "mrbot.webhook.deliveries", "{delivery}", "Webhook requests answered, by GitLab event and the bot's answer.");

    public static readonly Counter<long> Evaluations = Meter.CreateCounter<long>(
        "mrbot.evaluations", "{evaluation}", "Batches the worker processed (one MR's deliveries evaluated together), by outcome.");

    public static readonly Histogram<double> EvaluationDuration = Meter.CreateHistogram(
        "mrbot.evaluation.duration", "s", "How long processing a batch took, by outcome.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>(
        "mrbot.inbox.dead_letters", "{delivery}", "Deliveries that became dead letters (every attempt failed).");

    public static readonly Counter<long> GitLabRetries = Meter.CreateCounter<long>(
        "mrbot.gitlab.retries", "{retry}", "GitLab calls sent again by the resilience pipeline, by endpoint template and what failed.");

    public static readonly Counter<long> RateLimiterWaits = Meter.CreateCounter<long>(
        "mrbot.gitlab.rate_limiter.waits", "{wait}", "GitLab calls that had to wait for the bot's own request budget (GitLab:RequestsPerMinute).");

    public static readonly Histogram<double> RateLimiterWaitDuration = Meter.CreateHistogram(
        "mrbot.gitlab.rate_limiter.wait.duration", "s", "How long a GitLab call waited for the bot's own request budget.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static readonly Counter<long> ConfigReloads = Meter.CreateCounter<long>(
        "mrbot.config.reloads", "{reload}", "Edits of the policy file read again: accepted (in force) or refused (the previous config stays).");

    private static long _rateLimitRemaining = -1;
    private static Func<InboxBacklog?>? _backlog;

    static BotTelemetry()
    {
        Meter.CreateObservableGauge(
            "mrbot.gitlab.ratelimit.remaining",
            () => Interlocked.Read(ref _rateLimitRemaining) is var v and >= 0 ? [new Measurement<long>(v)] : Array.Empty<Measurement<long>>(),
            "{request}",
            "GitLab's RateLimit-Remaining header as last seen: calls left in its current window (docs/gitlab-behaviour.md §3.8).");
        Meter.CreateObservableGauge(
            "mrbot.inbox.depth",
            () => Backlog() is { } b ? [new Measurement<long>(b.Depth)] : Array.Empty<Measurement<long>>(),
            "{delivery}",
            "Deliveries stored and not finished (waiting, scheduled or in flight).");
        Meter.CreateObservableGauge(
            "mrbot.inbox.oldest_age",
            () => Backlog() is { } b ? [new Measurement<double>(b.OldestDueAge.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            "s",
            "How long the longest-waiting due delivery has waited since it became due (0: none waits).");
    }

    /// <summary>Forgets the last <c>RateLimit-Remaining</c> (a new host has seen none yet).</summary>
    public static void ForgetRateLimitRemaining() => Interlocked.Exchange(ref _rateLimitRemaining, -1);

    /// <summary>Records GitLab's <c>RateLimit-Remaining</c> from a response (docs/gitlab-behaviour.md §3.8).</summary>
    public static void ObserveRateLimitRemaining(long remaining) => Interlocked.Exchange(ref _rateLimitRemaining, Math.Max(remaining, 0));

    /// <summary>
    /// Sets what the inbox gauges read (one bot per process; the last host started wins). Disposing the result unsets
    /// it when it is still the one in force.
    /// </summary>
    public static IDisposable UseBacklog(Func<InboxBacklog?> read)
    {
        Volatile.Write(ref _backlog, read);
        return new Unset(read);
    }

    private static InboxBacklog? Backlog()
    {
        try
        {
            return Volatile.Read(ref _backlog)?.Invoke();
        }
        catch (Exception)
        {
            // A store that cannot answer leaves the gauges empty for this scrape; /readyz reports the store.
            return null;
        }
    }

    /// <summary>The W3C <c>traceparent</c> of the current activity (the webhook request), to be stored with its delivery.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>
    /// Starts the worker's span for a batch, continuing the trace of its first delivery's webhook request; the other
    /// deliveries' traces are linked. Null when nobody listens.
    /// </summary>
    public static Activity? StartProcessing(ClaimedBatch batch)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        ActivityContext parent = default;
        var links = new List<ActivityLink>();
        foreach (var delivery in batch.Deliveries)
        {
            if (delivery.TraceParent is { } traceParent && ActivityContext.TryParse(traceParent, null, isRemote: true, out var context))
            {
                if (parent == default)
                {
                    parent = context;
                }
                else if (context.TraceId != parent.TraceId)
                {
                    links.Add(new ActivityLink(context));
                }
            }
        }
        var activity = Source.StartActivity("mrbot.process", ActivityKind.Consumer, parent, links: links);
        if (activity is null)
        {
            return null;
        }
        activity.SetTag("mrbot.subject", batch.Subject);
        activity.SetTag("mrbot.attempt", batch.Attempt);
        activity.SetTag("mrbot.delivery.id", batch.Deliveries.Count > 0 ? batch.Deliveries[0].Id : null);
        activity.SetTag("mrbot.delivery.ids", string.Join(',', batch.Deliveries.Select(d => d.Id)));
        if (MergeRequestRef.FromSubject(batch.Subject) is { } mergeRequest)
        {
            activity.SetTag("gitlab.project.id", mergeRequest.ProjectId);
            activity.SetTag("gitlab.merge_request.iid", mergeRequest.Iid);
        }
        return activity;
    }

    private sealed class Unset(Func<InboxBacklog?> read) : IDisposable
    {
        public void Dispose() => Interlocked.CompareExchange(ref _backlog, null, read);
    }
}
