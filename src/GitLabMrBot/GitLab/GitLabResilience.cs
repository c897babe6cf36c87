using System.Threading.RateLimiting;
using GitLabMrBot.Observability;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace GitLabMrBot.GitLab;

/// <summary>
/// The one resilience pipeline of the GitLab client, outermost first:
/// total timeout → retry (safe requests only; backoff with jitter, honouring Retry-After) →
/// circuit breaker (GitLab down: calls fail at once, one probes after a break; see <see cref="GitLabOutage"/>) →
/// rate limiter (every attempt spends a token; requests wait, not fail) → per-attempt timeout.
/// </summary>
public static partial class GitLabResilience
{
    public const string PipelineName = "gitlab";

    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder, ResilienceHandlerContext context)
    {
        var services = context.ServiceProvider;
        var options = services.GetRequiredService<IOptions<GitLabClientOptions>>().Value;
        var limiter = services.GetRequiredService<GitLabRateLimiter>();
        var timeProvider = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GitLabResilience).FullName!);
        var circuit = services.GetRequiredService<IOptions<GitLabCircuitOptions>>().Value;
        var outage = services.GetRequiredService<GitLabOutage>();

        builder.AddTimeout(options.TotalTimeout);
        // Polly refuses a retry strategy with zero attempts; MaxRetryAttempts = 0 (allowed) means no retry strategy at all.
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(RetryOptions(options, timeProvider, logger));
        }
        // Inside the retry: once the circuit opens, a retry fails at once (not retried) and the inbox defers the work.
        builder.AddCircuitBreaker(CircuitOptions(circuit, outage, logger));
        builder
            .AddRateLimiter(GitLabRateLimiterTelemetry.Options(limiter.Limiter))
            .AddTimeout(options.AttemptTimeout);
    }

    internal static HttpRetryStrategyOptions RetryOptions(GitLabClientOptions options, TimeProvider timeProvider, ILogger logger) => new()
    {
        MaxRetryAttempts = Math.Max(options.MaxRetryAttempts, 0),
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        Delay = options.RetryBaseDelay,
        MaxDelay = options.MaxRetryDelay,

        // Our DelayGenerator reads Retry-After and also RateLimit-Reset.
        ShouldRetryAfterHeader = false,
        ShouldHandle = args => ValueTask.FromResult(
            !(GitLabRetryRules.NeverConnected(args.Outcome.Exception) && args.AttemptNumber >= options.ConnectFailureRetryAttempts)
            && ShouldRetry(args.Outcome, args.Context, options, timeProvider)),
        DelayGenerator = args => ValueTask.FromResult(
            args.Outcome.Result is { } response ? GitLabRetryRules.ServerDelay(response, timeProvider.GetUtcNow())
            : options.ConnectFailureRetryAttempts is not null && GitLabRetryRules.NeverConnected(args.Outcome.Exception) ? options.ConnectFailureRetryDelay
            : null),
        OnRetry = args =>
        {
            var request = args.Outcome.Result?.RequestMessage ?? args.Context.GetRequestMessage();
            CountRetry(request, args.Outcome);
            Log.Retrying(
                logger,
                request?.Method.Method ?? "?",
                request?.RequestUri?.AbsolutePath ?? "?",
                args.Outcome.Result is { } r ? ((int)r.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) : args.Outcome.Exception?.GetType().Name ?? "?",
                args.AttemptNumber + 1,
                args.RetryDelay);
            return ValueTask.CompletedTask;
        },
    };

    /// <summary>
    /// Polly's breaker with the HTTP defaults for what counts as a failure (5xx, 408, 429, no answer, attempt timeout);
    /// its state goes to <paramref name="outage"/>, which the inbox worker asks whether a failure was an outage.
    /// </summary>
    internal static HttpCircuitBreakerStrategyOptions CircuitOptions(GitLabCircuitOptions circuit, GitLabOutage outage, ILogger logger) => new()
    {
        FailureRatio = circuit.FailureRatio,
        MinimumThroughput = circuit.MinimumThroughput,
        SamplingDuration = circuit.SamplingDuration,
        BreakDuration = circuit.BreakDuration,
        OnOpened = args =>
        {
            outage.Opened(args.BreakDuration);
            Log.CircuitOpened(logger, args.Outcome.Result is { } r ? ((int)r.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) : args.Outcome.Exception?.GetType().Name ?? "?", args.BreakDuration);
            return ValueTask.CompletedTask;
        },
        OnClosed = _ =>
        {
            outage.Closed();
            Log.CircuitClosed(logger);
            return ValueTask.CompletedTask;
        },
    };

    /// <summary>
    /// Retry a transient failure (408/429/5xx, network error, attempt timeout) of a request that is
    /// safe to repeat; an unsafe request only on 429 (refused before processing); never one marked
    /// <see cref="GitLabRetryRules.NoRepeatOption"/>. A 429/503 asking for
    /// a longer wait than <see cref="GitLabClientOptions.MaxRetryDelay"/> is handed to the caller.
    /// </summary>
    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ResilienceContext context, GitLabClientOptions options, TimeProvider timeProvider)
    {
        if (GitLabRetryRules.ForbidsRepeat(outcome.Result?.RequestMessage ?? context.GetRequestMessage()))
        {
            return false;
        }
        if (outcome.Result is { } response)
        {
            if (!GitLabRetryRules.IsTransientStatus(response.StatusCode))
            {
                return false;
            }
            if (GitLabRetryRules.ServerDelay(response, timeProvider.GetUtcNow()) > options.MaxRetryDelay)
            {
                return false;
            }
            return GitLabRetryRules.ProvesNotApplied(response.StatusCode) || GitLabRetryRules.IsRetrySafe(response.RequestMessage ?? context.GetRequestMessage());
        }
        // A lost connection or an attempt timeout: the request may have been applied, so only safe ones.
        return outcome.Exception is HttpRequestException or TimeoutRejectedException
            && GitLabRetryRules.IsRetrySafe(context.GetRequestMessage());
    }

    private static void CountRetry(HttpRequestMessage? request, Outcome<HttpResponseMessage> outcome)
    {
        string? template = null;
        request?.Options.TryGetValue(BotTelemetry.UrlTemplateKey, out template);
        BotTelemetry.GitLabRetries.Add(1,
            new KeyValuePair<string, object?>("url.template", template ?? "other"),
            new KeyValuePair<string, object?>("http.request.method", request?.Method.Method ?? "other"),
            new KeyValuePair<string, object?>("error.type", outcome.Result is { } r
                ? ((int)r.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)
                : outcome.Exception?.GetType().Name ?? "other"));
    }

    private static partial class Log
    {
        // Debug: a retry that works needs no one's attention (mrbot.gitlab.retries counts them); one that does not ends
        // in the worker's one line for the failed attempt.
        [LoggerMessage(EventId = 5010, Level = LogLevel.Debug, Message = "GitLab {Method} {Path} failed ({Failure}); attempt {NextAttempt} in {Delay}")]
        public static partial void Retrying(ILogger logger, string method, string path, string failure, int nextAttempt, TimeSpan delay);

        [LoggerMessage(EventId = 5031, Level = LogLevel.Warning, Message = "GitLab looks down (last failure {Failure}): calls pause for {BreakDuration}, then one probes")]
        public static partial void CircuitOpened(ILogger logger, string failure, TimeSpan breakDuration);

        [LoggerMessage(EventId = 5032, Level = LogLevel.Information, Message = "GitLab answers again: calls resume")]
        public static partial void CircuitClosed(ILogger logger);
    }
}

/// <summary>
/// The client-side request budget (<see cref="GitLabClientOptions.RequestsPerMinute"/>), shared by every
/// GitLab call of the process: a token bucket that lets requests queue rather than fail.
/// </summary>
public sealed class GitLabRateLimiter : IDisposable
{
    public GitLabRateLimiter(IOptions<GitLabClientOptions> options)
    {
        var o = options.Value;
        // Replenish in whole tokens at an exact pace: e.g. 1,800/min → 30 per second, 100/min → 1 per 600 ms.
        var tokensPerPeriod = Math.Max(1, o.RequestsPerMinute / 60);
        Limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(o.RateLimitBurst, tokensPerPeriod),
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1) * tokensPerPeriod / o.RequestsPerMinute,
            QueueLimit = o.RateLimitQueueLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    public RateLimiter Limiter { get; }

    public void Dispose() => Limiter.Dispose();
}
