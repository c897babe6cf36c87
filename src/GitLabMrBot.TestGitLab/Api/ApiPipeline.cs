using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitLabMrBot.TestGitLab.Model;
using GitLabMrBot.TestGitLab.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace GitLabMrBot.TestGitLab.Api;

/// <summary>
/// Everything between Kestrel and a handler: raw path (so <c>%2F</c> ids survive), parameters, recording,
/// injected faults, authentication, routing, and GitLab's error shapes.
/// </summary>
internal sealed class ApiPipeline(GitLabState state, ApiRouter router, TimeProvider time)
{
    private const string Prefix = "/api/v4";
    private readonly Lock gate = new();
    private readonly List<RecordedRequest> requests = [];
    private readonly List<FaultRule> faults = [];

    /// <summary>
    /// The relative URL root GitLab is served under (<c>/gitlab</c>), or empty. Everything, the API included, lives below
    /// it; a request outside it is a 404, as on an instance whose <c>relative_url_root</c> is set.
    /// </summary>
    public string PathBase { get; set; } = "";

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (gate)
            {
                return [.. requests];
            }
        }
    }

    public void ClearRequests()
    {
        lock (gate)
        {
            requests.Clear();
        }
    }

    public FaultRule AddFault(string method, string pathPattern, Fault fault, int times)
    {
        var rule = new FaultRule(method, pathPattern, fault, times);
        lock (gate)
        {
            faults.Add(rule);
        }

        return rule;
    }

    public void ClearFaults()
    {
        lock (gate)
        {
            faults.Clear();
        }
    }

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await ServeAsync(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client gave up (its timeout during injected latency, typically): nobody is left to answer.
        }
    }

    private async Task ServeAsync(HttpContext context)
    {
        var receivedAt = time.GetUtcNow();
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        var q = raw.IndexOf('?', StringComparison.Ordinal);
        var fullPath = q < 0 ? raw : raw[..q];
        var query = q < 0 ? "" : raw[q..];
        var pathBase = PathBase;
        var underBase = pathBase.Length == 0 || fullPath.StartsWith(pathBase + "/", StringComparison.Ordinal);
        // Below the path base, the rest is routed as on an instance without one; outside it nothing is found.
        var rawPath = underBase ? fullPath[pathBase.Length..] : fullPath;
        var method = context.Request.Method;
        var body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync(context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var queryPairs = QueryHelpers.ParseQuery(query).SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string>(kv.Key, v ?? ""))).ToList();
        // Recorded relative to /api/v4; a request outside the path base keeps its whole path, so it cannot pass for a right one.
        var path = underBase && rawPath.StartsWith(Prefix + "/", StringComparison.Ordinal) ? rawPath[Prefix.Length..] : rawPath;
        var segments = path.Trim('/').Split('/');

        var (bag, jsonBody, formPairs, badBody) = ParseParameters(context.Request.ContentType, body, queryPairs);
        var parameters = RecordedRequest.Flatten(queryPairs, jsonBody, formPairs);

        void Record(int status, string? fault)
        {
            lock (gate)
            {
                requests.Add(new RecordedRequest(method, path, query, body, headers, parameters, status, fault, receivedAt));
            }
        }

        FaultRule? rule;
        lock (gate)
        {
            rule = faults.FirstOrDefault(f => f.TryTake(method, segments));
        }

        switch (rule?.Fault)
        {
            case Fault.LatencyFault latency:
                // Real time even under a fake TimeProvider: latency is what a client's timeout must meet.
                await Task.Delay(latency.Delay, context.RequestAborted);
                break;
            case Fault.ConcurrentChangeFault concurrent:
                // Outside the state lock: the change takes it itself, as another request would.
                concurrent.Change();
                break;
            case Fault.DropConnectionFault { AfterApplying: false }:
                Record(0, rule.Fault.Name);
                context.Abort();
                return;
            case Fault.BadGatewayFault:
                Record(502, rule.Fault.Name);
                await WriteAsync(context, new ApiResult(502, null, "GitLab is not responding"));
                return;
            case Fault.ServiceUnavailableFault:
                Record(503, rule.Fault.Name);
                await WriteAsync(context, ApiResult.Message(503, "503 Service Unavailable"));
                return;
            case Fault.RateLimitFault rateLimit:
                Record(429, rule.Fault.Name);
                await WriteRateLimitedAsync(context, rateLimit.RetryAfterSeconds);
                return;
            case Fault.ServerErrorFault { AfterApplying: false }:
                Record(500, rule.Fault.Name);
                await WriteAsync(context, ApiResult.Message(500, "500 Internal Server Error"));
                return;
        }

        var result = badBody ?? (underBase ? Execute(context, method, rawPath, fullPath, segments, headers, bag, queryPairs) : ApiResult.Error(404, "404 Not Found"));
        if (rule?.Fault is Fault.DropConnectionFault { AfterApplying: true })
        {
            Record(0, rule.Fault.Name);
            context.Abort();
            return;
        }

        if (rule?.Fault is Fault.ServerErrorFault { AfterApplying: true })
        {
            result = ApiResult.Message(500, "500 Internal Server Error");
        }

        Record(result.Status, rule?.Fault.Name);
        await WriteAsync(context, result);
    }

    private ApiResult Execute(
        HttpContext context, string method, string rawPath, string fullPath, string[] segments, Dictionary<string, string> headers,
        ParamBag bag, List<KeyValuePair<string, string>> queryPairs)
    {
        if (!rawPath.StartsWith(Prefix + "/", StringComparison.Ordinal)
            || !router.TryMatch(method, segments, out var handler, out var routeValues, out var anonymous))
        {
            return ApiResult.Error(404, "404 Not Found");
        }

        lock (state.Gate)
        {
            // GitLab looks for an OAuth token in the Bearer header first; failing that, for a personal access token in
            // PRIVATE-TOKEN, else in the Bearer header (docs/gitlab-behaviour.md §3). An OAuth token in
            // PRIVATE-TOKEN is therefore no token GitLab knows: 401.
            var bearer = headers.GetValueOrDefault("Authorization") is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null;
            UserEntity? user = null;
            var oauth = bearer is not null && state.OAuthTokens.TryGetValue(bearer, out user);
            var token = oauth ? null : headers.GetValueOrDefault("PRIVATE-TOKEN") ?? bearer;
            if (token is not null && !state.Tokens.TryGetValue(token, out user))
            {
                return ApiResult.Message(401, "401 Unauthorized");
            }

            if (user is not null && user.State != "active")
            {
                return ApiResult.Message(401, "401 Unauthorized");
            }

            if (user is null && !anonymous)
            {
                return ApiResult.Message(401, "401 Unauthorized");
            }

            var details = token is null ? null : state.TokenDetails.GetValueOrDefault(token);
            if (details is not null && !ScopeAllows(details, method, segments))
            {
                return InsufficientScope();
            }

            var request = new ApiRequest
            {
                Route = routeValues,
                Params = bag,
                User = user,
                Token = details,
                OAuth = oauth,
                Scope = new EventScope(headers.GetValueOrDefault("X-Gitlab-Event-UUID")),
                Url = $"{context.Request.Scheme}://{context.Request.Host}{fullPath}",
                Query = queryPairs,
            };
            try
            {
                return handler(request);
            }
            catch (ApiError e)
            {
                return e.Result;
            }
        }
    }

    /// <summary>
    /// Token scopes as GitLab enforces them: <c>api</c> allows everything, <c>read_api</c> every GET, <c>read_user</c>
    /// the identity endpoints; a token may always describe itself.
    /// </summary>
    private static bool ScopeAllows(TokenEntity token, string method, string[] segments)
    {
        var path = "/" + string.Join('/', segments);
        if (token.Has("api") || path == "/personal_access_tokens/self")
        {
            return true;
        }

        var read = method is "GET" or "HEAD";
        return read && (token.Has("read_api") || (token.Has("read_user") && path is "/user" or "/version"));
    }

    private static ApiResult InsufficientScope() => new(403, new JsonObject
    {
        ["error"] = "insufficient_scope",
        ["error_description"] = "The request requires higher privileges than provided by the access token.",
        ["scope"] = "api",
    });

    private static (ParamBag Bag, JsonElement? Json, List<KeyValuePair<string, string>> Form, ApiResult? Error) ParseParameters(
        string? contentType, string body, List<KeyValuePair<string, string>> query)
    {
        var bag = new ParamBag();
        foreach (var (k, v) in query)
        {
            bag.Add(k, v);
        }

        var form = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrWhiteSpace(body))
        {
            return (bag, null, form, null);
        }

        if (contentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                var root = doc.RootElement.Clone();
                if (root.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in root.EnumerateObject())
                    {
                        bag.AddJson(p.Name, p.Value);
                    }
                }

                return (bag, root, form, null);
            }
            catch (JsonException)
            {
                // Rack's JSON parser rejects the body before Grape sees it.
                return (bag, null, form, ApiResult.Error(400, "The request body is not valid JSON"));
            }
        }

        if (contentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true)
        {
            foreach (var (k, values) in QueryHelpers.ParseQuery(body))
            {
                foreach (var v in values)
                {
                    bag.Add(k, v ?? "");
                    form.Add(new(k, v ?? ""));
                }
            }
        }

        return (bag, null, form, null);
    }

    private async Task WriteRateLimitedAsync(HttpContext context, int retryAfter)
    {
        var now = time.GetUtcNow();
        var reset = now.AddSeconds(retryAfter);
        var h = context.Response.Headers;
        context.Response.StatusCode = 429;
        context.Response.ContentType = "text/plain";
        h["Retry-After"] = retryAfter.ToString(CultureInfo.InvariantCulture);
        h["RateLimit-Name"] = "throttle_authenticated_api";
        h["RateLimit-Limit"] = "2000";
        h["RateLimit-Observed"] = "2001";
        h["RateLimit-Remaining"] = "0";
        h["RateLimit-Reset"] = reset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        h["RateLimit-ResetTime"] = reset.ToString("R", CultureInfo.InvariantCulture);
        await context.Response.WriteAsync("Retry later\n", context.RequestAborted);
    }

    private static async Task WriteAsync(HttpContext context, ApiResult result)
    {
        context.Response.StatusCode = result.Status;
        foreach (var (k, v) in result.Headers)
        {
            context.Response.Headers[k] = v;
        }

        if (result.Text is not null)
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(result.Text, context.RequestAborted);
        }
        else if (result.Json is JsonNode json)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(json.ToJsonString(), context.RequestAborted);
        }
    }
}
