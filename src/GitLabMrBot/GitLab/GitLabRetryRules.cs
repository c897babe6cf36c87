using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace GitLabMrBot.GitLab;

/// <summary>
/// Pure rules of the resilience pipeline: which requests may be sent again, which answers are worth
/// another attempt, and how long GitLab asked us to wait.
/// </summary>
public static class GitLabRetryRules
{
    /// <summary>
    /// Request option (set with Refit's <c>[Property]</c>) marking a POST as safe to repeat,
    /// e.g. creating a label: a repeat answers 409 "already exists", which counts as done.
    /// </summary>
    public const string RetrySafeOption = "GitLab.RetrySafe";

    /// <summary>
    /// Request option marking a request the pipeline must never send again as it is, even on a 429: a PUT of
    /// <c>reviewer_ids</c>/<c>assignee_ids</c> replaces whole lists, so a repeat built from an old read would undo what a
    /// human changed meanwhile (docs/gitlab-behaviour.md §3.2). Its caller rebuilds each attempt from a fresh read instead.
    /// </summary>
    public const string NoRepeatOption = "GitLab.NoRepeat";

    /// <summary>True when the request carries <see cref="NoRepeatOption"/>.</summary>
    public static bool ForbidsRepeat(HttpRequestMessage? request) =>
        request is not null && ((IDictionary<string, object?>)request.Options).TryGetValue(NoRepeatOption, out var flag) && flag is true;

    /// <summary>
    /// GET/HEAD/PUT/DELETE carry the full desired state, so a repeat changes nothing more. A POST
    /// (a note) may have been applied even when the answer was lost or a 500, so it is repeated only
    /// when marked <see cref="RetrySafeOption"/>; a note create is re-checked by its marker instead.
    /// </summary>
    public static bool IsRetrySafe(HttpRequestMessage? request)
    {
        if (request is null)
        {
            return false;
        }
        var method = request.Method;
        if (method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Put || method == HttpMethod.Delete || method == HttpMethod.Options)
        {
            return true;
        }
        return ((IDictionary<string, object?>)request.Options).TryGetValue(RetrySafeOption, out var flag) && flag is true;
    }

    /// <summary>
    /// True when no connection to GitLab was made (refused, host name not resolved): the request never left, and
    /// nothing answers at that address now.
    /// </summary>
    public static bool NeverConnected(Exception? e) =>
        e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };

    /// <summary>Answers that mean "try again later": 408, 429 and every 5xx.</summary>
    public static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>
    /// A 429 is refused before GitLab processes the request (Rack::Attack or an application rate
    /// limit), so even an unsafe request was not applied and may be sent again.
    /// </summary>
    public static bool ProvesNotApplied(HttpStatusCode status) => status == HttpStatusCode.TooManyRequests;

    /// <summary>The wait GitLab asked for on this response, if any (see <see cref="ParseServerDelay"/>).</summary>
    public static TimeSpan? ServerDelay(HttpResponseMessage response, DateTimeOffset now) =>
        ServerDelay(response.StatusCode, response.Headers, now);

    /// <summary>The wait GitLab asked for on an answer with this status and these headers, if any (see <see cref="ParseServerDelay"/>).</summary>
    public static TimeSpan? ServerDelay(HttpStatusCode? status, HttpResponseHeaders headers, DateTimeOffset now)
    {
        var retryAfter = headers.TryGetValues("Retry-After", out var r) ? r.FirstOrDefault() : null;
        // RateLimit-Reset says when the rate-limit window resets: a wait only on a 429, not on every answer carrying it.
        var reset = status == HttpStatusCode.TooManyRequests && headers.TryGetValues("RateLimit-Reset", out var x) ? x.FirstOrDefault() : null;
        return ParseServerDelay(retryAfter, reset, now);
    }

    /// <summary>
    /// <c>Retry-After</c> as delay-seconds or an HTTP date; else <c>RateLimit-Reset</c>, which GitLab
    /// sends as a Unix time (small values are read as delay-seconds, the IETF draft's form).
    /// A time in the past means "now" (zero). Null when neither header is usable.
    /// </summary>
    public static TimeSpan? ParseServerDelay(string? retryAfter, string? rateLimitReset, DateTimeOffset now)
    {
        if (!string.IsNullOrWhiteSpace(retryAfter))
        {
            var text = retryAfter.Trim();
            if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.FromDays(1).TotalSeconds));
            }
            // HTTP dates (RFC 9110 IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT"; the parser takes the obsolete forms too).
            if (RetryConditionHeaderValue.TryParse(text, out var parsed) && parsed.Date is { } date)
            {
                return NotNegative(date - now);
            }
        }
        if (!string.IsNullOrWhiteSpace(rateLimitReset)
            && long.TryParse(rateLimitReset.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var reset))
        {
            // Anything after 2001-09-09 is a Unix time; smaller numbers are a delay in seconds.
            return reset >= 1_000_000_000
                ? NotNegative(DateTimeOffset.FromUnixTimeSeconds(reset) - now)
                : TimeSpan.FromSeconds(Math.Min(reset, (long)TimeSpan.FromDays(1).TotalSeconds));
        }
        return null;
    }

    private static TimeSpan NotNegative(TimeSpan value) => value < TimeSpan.Zero ? TimeSpan.Zero : value;
}
