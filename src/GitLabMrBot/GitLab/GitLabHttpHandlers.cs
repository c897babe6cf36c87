using GitLabMrBot.Configuration;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.GitLab;

/// <summary>
/// Adds the credentials and the delivery's event UUID to every request (outermost handler, so once per call).
/// The token comes from <see cref="BotSettings"/> and is never logged. It goes in <c>PRIVATE-TOKEN</c>, or with
/// <see cref="GitLabClientOptions.TokenType"/> <c>bearer</c> as <c>Authorization: Bearer</c>, the only place GitLab
/// looks for an OAuth token (docs/gitlab-behaviour.md §3).
/// </summary>
public sealed class GitLabHeadersHandler(BotSettings settings, IOptions<GitLabClientOptions> options) : DelegatingHandler
{
    public const string TokenHeader = "PRIVATE-TOKEN";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Remove(TokenHeader);
        request.Headers.Authorization = null;
        if (options.Value.SendsBearer)
        {
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {settings.GitLabToken}");
        }
        else
        {
            request.Headers.TryAddWithoutValidation(TokenHeader, settings.GitLabToken);
        }

        request.Headers.Remove(GitLabRequestContext.EventUuidHeader);
        if (GitLabRequestContext.EventUuid is { } uuid && IsHeaderSafe(uuid))
        {
            request.Headers.TryAddWithoutValidation(GitLabRequestContext.EventUuidHeader, uuid);
        }
        return base.SendAsync(request, cancellationToken);
    }

    // The UUID came from a webhook request; never let it smuggle a line break into our headers.
    private static bool IsHeaderSafe(string value) => value.Length <= 200 && value.All(c => c is > ' ' and < (char)127);
}

/// <summary>
/// Logs every attempt (innermost handler, below the retries): method, path, status, elapsed, attempt.
/// Never the headers (token) nor bodies (notes).
/// </summary>
public sealed partial class GitLabCallLoggingHandler(TimeProvider timeProvider, ILogger<GitLabCallLoggingHandler> logger) : DelegatingHandler
{
    private static readonly HttpRequestOptionsKey<int> AttemptKey = new("GitLab.Attempt");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // The retry strategy re-sends the same message, so a counter on it numbers the attempts.
        var attempt = request.Options.TryGetValue(AttemptKey, out var previous) ? previous + 1 : 1;
        request.Options.Set(AttemptKey, attempt);
        var path = request.RequestUri?.AbsolutePath ?? "";
        var started = timeProvider.GetTimestamp();
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                var elapsed = timeProvider.GetElapsedTime(started).TotalMilliseconds;
                Log.Call(logger, request.Method.Method, path, (int)response.StatusCode, elapsed, attempt);
            }
            return response;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            if (logger.IsEnabled(LogLevel.Debug))
            {
                var elapsed = timeProvider.GetElapsedTime(started).TotalMilliseconds;
                var error = e.GetType().Name;
                Log.CallFailed(logger, request.Method.Method, path, error, elapsed, attempt);
            }
            throw;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "GitLab {Method} {Path} answered {Status} in {ElapsedMs:0} ms (attempt {Attempt})")]
        public static partial void Call(ILogger logger, string method, string path, int status, double elapsedMs, int attempt);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "GitLab {Method} {Path} failed with {Error} after {ElapsedMs:0} ms (attempt {Attempt})")]
        public static partial void CallFailed(ILogger logger, string method, string path, string error, double elapsedMs, int attempt);
    }
}
