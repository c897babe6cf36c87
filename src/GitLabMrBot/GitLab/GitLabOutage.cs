using System.ComponentModel.DataAnnotations;
using System.Net;
using GitLabMrBot.Inbox;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace GitLabMrBot.GitLab;

/// <summary>
/// The GitLab circuit breaker's settings (configuration section <c>GitLab:Circuit</c>). When at least
/// <see cref="FailureRatio"/> of the calls in <see cref="SamplingDuration"/> (and at least <see cref="MinimumThroughput"/>
/// of them) end in a transient failure (5xx, 408, 429, no answer), GitLab counts as down: calls fail at once for
/// <see cref="BreakDuration"/>, then one call probes; its success closes the circuit.
/// </summary>
public sealed class GitLabCircuitOptions
{
    public const string Section = "GitLab:Circuit";

    [Range(0.01, 1.0)]
    public double FailureRatio { get; set; } = 0.5;

    [Range(2, 10_000)]
    public int MinimumThroughput { get; set; } = 8;

    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long calls fail at once after the circuit opened, before one call probes GitLab again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}

[OptionsValidator]
public sealed partial class GitLabCircuitOptionsValidator : IValidateOptions<GitLabCircuitOptions>;

/// <summary>
/// What the inbox worker asks of a failed processing: was it GitLab being down or asking to wait (defer, no attempt
/// counted) or possibly the delivery's own failure (an attempt counts)? Fed by the circuit breaker of the GitLab
/// pipeline (see <see cref="GitLabResilience"/>), which calls <see cref="Opened"/> and <see cref="Closed"/>.
/// </summary>
public sealed class GitLabOutage(IOptions<GitLabCircuitOptions> circuit, IOptions<GitLabClientOptions> client, TimeProvider time) : IProcessingDeferral
{
    /// <summary>While one call probes a half-open circuit, the others are turned away: they look again this soon.</summary>
    private static readonly TimeSpan ProbeWait = TimeSpan.FromSeconds(1);

    // UTC ticks until which the circuit is open; 0 once closed. Half-open: a time in the past, not 0.
    private long _openUntilTicks;

    /// <summary>True from the circuit's opening until a probe closes it (half-open included).</summary>
    public bool IsDown => Interlocked.Read(ref _openUntilTicks) != 0;

    internal void Opened(TimeSpan breakDuration) =>
        Interlocked.Exchange(ref _openUntilTicks, (time.GetUtcNow() + breakDuration).UtcTicks);

    internal void Closed() => Interlocked.Exchange(ref _openUntilTicks, 0);

    public DateTimeOffset? DeferUntil(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var now = time.GetUtcNow();
        for (var e = failure; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case BrokenCircuitException:
                    return WhenCircuitMayClose(now);
                // GitLab asked for a longer wait than the pipeline honours (its Retry-After is up to a throttle period,
                // which administrators may set far above a minute: docs/gitlab-behaviour.md §3.8): come back then.
                case GitLabApiException { StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable, RetryAfter: { } wait }
                    when wait > client.Value.MaxRetryDelay:
                    return now + wait;
                // The call that found GitLab down (its failure opened the circuit, or came while it was open).
                case GitLabApiException api when IsDown && (api.StatusCode is null || GitLabRetryRules.IsTransientStatus(api.StatusCode.Value)):
                    return WhenCircuitMayClose(now);
            }
        }
        return null;
    }

    private DateTimeOffset WhenCircuitMayClose(DateTimeOffset now)
    {
        var until = Interlocked.Read(ref _openUntilTicks);
        var openUntil = until == 0 ? now : new DateTimeOffset(until, TimeSpan.Zero);
        if (openUntil > now)
        {
            return openUntil;
        }
        // Half-open (a probe is out) or closed a moment ago: soon, without hammering.
        var wait = circuit.Value.BreakDuration < ProbeWait ? circuit.Value.BreakDuration : ProbeWait;
        return now + wait;
    }
}
