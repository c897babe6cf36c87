using GitLabMrBot.Configuration;
using Microsoft.Extensions.Options;
using Refit;

namespace GitLabMrBot.GitLab;

/// <summary>
/// Whether GitLab answers the bot, as last seen: <c>GET /user</c> once at start (one log line: who the bot is, or why GitLab
/// cannot be reached), then again when <c>/readyz</c> asks and the last look is older than
/// <see cref="GitLabReachabilityOptions.ProbeInterval"/> (in the background: the probe never waits for GitLab). GitLab being
/// down is reported, never a reason to be unready: deliveries are still stored, and processed once it answers.
/// </summary>
public sealed partial class GitLabReachability(
    IServiceScopeFactory scopes,
    GitLabIdentityCache identity,
    BotSettings settings,
    IOptions<GitLabReachabilityOptions> options,
    TimeProvider time,
    ILogger<GitLabReachability> logger)
{
    private readonly Lock _gate = new();
    private Task? _probing;

    /// <summary>The last look; null before the first one finished.</summary>
    public GitLabReachabilityState? Last { get; private set; }

    /// <summary>Looks again in the background when the last look is older than the interval (or none finished); returns at once.</summary>
    public void RefreshIfStale()
    {
        if (Last is { } last && time.GetUtcNow() - last.CheckedAt < options.Value.ProbeInterval)
        {
            return;
        }
        lock (_gate)
        {
            if (_probing is { IsCompleted: false })
            {
                return;
            }
            _probing = Task.Run(() => ProbeAsync(logResult: false, CancellationToken.None));
        }
    }

    /// <summary>One <c>GET /user</c>; with <paramref name="logResult"/>, the start-up line says what it found.</summary>
    public Task<GitLabReachabilityState> ProbeAsync(bool logResult, CancellationToken cancellationToken)
    {
        var probe = LookAsync(logResult, cancellationToken);
        // An evaluation that needs the bot's identity meanwhile waits for this answer instead of asking again.
        identity.InFlightLookup = probe;
        return probe;
    }

    private async Task<GitLabReachabilityState> LookAsync(bool logResult, CancellationToken cancellationToken)
    {
        GitLabReachabilityState state;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var api = scope.ServiceProvider.GetRequiredService<IGitLabApi>();
            // The raw API, not the client: the client answers from its cache once it knows the bot, and this must ask GitLab.
            // One attempt, no retries: the probe says what GitLab answers now, and its answer comes quickly either way.
            using var response = await api.GetCurrentUserOnceAsync(noRepeat: true, cancellationToken);
            if (response.IsSuccessful && response.Content is { } user)
            {
                identity.User = user;
                state = new GitLabReachabilityState(true, user.Username, null, time.GetUtcNow());
                if (logResult)
                {
                    Log.Reachable(logger, settings.GitLabUrl, user.Username, user.Id);
                }
            }
            else
            {
                var why = response.IsReceived
                    ? (int)response.StatusCode switch
                    {
                        401 => $"GitLab refused the token (401 Unauthorized): check {BotSettings.GitLabTokenKey}",
                        403 => $"GitLab answered 403 Forbidden to GET /user: the token lacks the api scope, or the user is blocked",
                        var code => $"GitLab answered {code} {response.StatusCode} to GET /user",
                    }
                    : $"no answer: {Describe(response.Error)}";
                state = new GitLabReachabilityState(false, null, why, time.GetUtcNow());
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever went wrong (network, timeout, the rate limiter's queue), it is a reason to report, never to stop the bot.
            state = new GitLabReachabilityState(false, null, $"no answer: {Describe(e)}", time.GetUtcNow());
        }
        if (logResult && !state.Reachable)
        {
            Log.Unreachable(logger, settings.GitLabUrl, state.Reason!);
        }
        Last = state;
        return state;
    }

    private static string Describe(Exception? e) => e switch
    {
        null => "unknown",
        ApiRequestException { InnerException: { } inner } => Describe(inner),
        HttpRequestException { InnerException: { } inner } => $"{inner.Message}",
        _ => e.Message,
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 5401, Level = LogLevel.Information, Message = "GitLab {GitLabUrl} answers: the bot is @{Username} (user {UserId})")]
        public static partial void Reachable(ILogger logger, Uri gitLabUrl, string username, long userId);

        [LoggerMessage(EventId = 5402, Level = LogLevel.Warning, Message = "GitLab {GitLabUrl} cannot be reached: {Reason}. Webhooks are still accepted and stored; they are processed once GitLab answers")]
        public static partial void Unreachable(ILogger logger, Uri gitLabUrl, string reason);
    }
}

/// <param name="Reachable">GitLab answered <c>GET /user</c> with the bot's user.</param>
/// <param name="Username">The bot's username, when it answered.</param>
/// <param name="Reason">Why not, when it did not.</param>
public sealed record GitLabReachabilityState(bool Reachable, string? Username, string? Reason, DateTimeOffset CheckedAt);

/// <summary>How often <c>/readyz</c> may look at GitLab again (section <c>Health</c>).</summary>
public sealed class GitLabReachabilityOptions
{
    public const string Section = "Health";

    /// <summary><c>Health:GitLabProbeInterval</c>: a <c>GET /user</c> at most this often, only while <c>/readyz</c> is asked.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan GitLabProbeInterval { get; set; } = TimeSpan.FromMinutes(1);

    internal TimeSpan ProbeInterval => GitLabProbeInterval;
}

/// <summary>
/// Looks at GitLab once at start. The start waits for the answer a few seconds at most (it usually comes in milliseconds, so
/// the line is the first thing the bot says of GitLab, and its GET /user comes before any other call); a GitLab that does not
/// answer by then does not hold up the start: the look goes on in the background.
/// </summary>
internal sealed class GitLabStartupProbe(GitLabReachability reachability, TimeProvider time) : IHostedService, IDisposable
{
    private static readonly TimeSpan StartupWait = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopping = new();
    private Task? _probe;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _probe = reachability.ProbeAsync(logResult: true, _stopping.Token);
        await _probe.WaitAsync(StartupWait, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_probe is not null)
        {
            await _probe.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose() => _stopping.Dispose();
}
