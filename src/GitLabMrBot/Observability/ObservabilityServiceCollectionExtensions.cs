using System.Diagnostics;
using GitLabMrBot.Inbox;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Polly.Telemetry;

namespace GitLabMrBot.Observability;

/// <summary>
/// Metrics and traces with the OpenTelemetry SDK: the bot's <see cref="BotTelemetry"/> instruments, ASP.NET Core's
/// <c>http.server.request.duration</c> and HttpClient's <c>http.client.request.duration</c> (GitLab calls tagged with
/// their <c>url.template</c>) at <c>GET /metrics</c> in Prometheus' format; traces exported over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the exporter reads it and <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> itself), off otherwise.
/// </summary>
public static class ObservabilityServiceCollectionExtensions
{
    public const string MetricsPath = "/metrics";
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string ServiceName = "gitlab-mrbot";

    public static IServiceCollection AddObservability(this IServiceCollection services, IConfiguration configuration)
    {
        var exportTraces = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey]);
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithMetrics(metrics => metrics
                .AddMeter(BotTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddPrometheusExporter())
            .WithTracing(tracing =>
            {
                tracing
                    .AddSource(BotTelemetry.Name)
                    .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsProbe(context.Request.Path))
                    .AddHttpClientInstrumentation(options => options.EnrichWithHttpRequestMessage = NameGitLabCall);
                if (exportTraces)
                {
                    tracing.AddOtlpExporter();
                }
                else
                {
                    // Nothing would receive the spans: don't record them. The listeners stay, so a test (or a later
                    // configuration step) can still turn sampling on and add an exporter.
                    tracing.SetSampler(new AlwaysOffSampler());
                }
            });

        // Polly's own log lines repeat what the bot says once per failed attempt (with the exception's stack trace on
        // every handled attempt): Debug only. Its metrics stay.
        services.ConfigureAll<TelemetryOptions>(options => options.SeverityProvider = args =>
            args.Event.Severity == ResilienceEventSeverity.None ? ResilienceEventSeverity.None : ResilienceEventSeverity.Debug);

        services.AddHostedService<InboxBacklogGauges>();
        return services;
    }

    /// <summary>
    /// <c>GET /metrics</c>. Open like /healthz (Prometheus scrapes without credentials); what it shows is counts and
    /// durations by event, outcome and endpoint template: no secret, id or raw path. Restrict it at the ingress.
    /// </summary>
    public static IEndpointRouteBuilder MapObservability(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments(MetricsPath, StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/healthz", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/readyz", StringComparison.OrdinalIgnoreCase);

    /// <summary>A GitLab call's span is named by its endpoint template, as the HTTP semantic conventions ask.</summary>
    private static void NameGitLabCall(Activity activity, HttpRequestMessage request)
    {
        if (request.Options.TryGetValue(BotTelemetry.UrlTemplateKey, out var template))
        {
            activity.SetTag("url.template", template);
            activity.DisplayName = $"{request.Method.Method} {template}";
        }
    }
}

/// <summary>Points the inbox gauges at this host's store while it runs; the rate-limit gauge starts empty.</summary>
internal sealed class InboxBacklogGauges(IInboxStore store, TimeProvider time) : IHostedService
{
    // A scrape must not hang on a stuck store: the gauges are left out of that scrape instead.
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);

    private IDisposable? _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        BotTelemetry.ForgetRateLimitRemaining();
        // Gauges are read synchronously at scrape time; the query reads the unfinished part of the inbox only.
        _registration = BotTelemetry.UseBacklog(() =>
        {
            using var timeout = new CancellationTokenSource(ReadTimeout);
            return store.MeasureBacklogAsync(time.GetUtcNow(), timeout.Token).WaitAsync(timeout.Token).GetAwaiter().GetResult();
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _registration?.Dispose();
        return Task.CompletedTask;
    }
}
