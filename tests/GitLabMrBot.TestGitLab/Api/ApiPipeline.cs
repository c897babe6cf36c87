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
        var rawPath = q < 0 ? raw : raw[..q];
        var query = q < 0 ? "" : raw[q..];
        var method = context.Request.Method;
        var body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync(context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var queryPairs = QueryHelpers.ParseQuery(query).SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string>(kv.Key, v ?? ""))).ToList();
        var path = rawPath.StartsWith(Prefix + "/", StringComparison.Ordinal) ? rawPath[Prefix.Length..] : rawPath;
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

        var result = badBody ?? Execute(context, method, rawPath, segments, headers, bag, queryPairs);
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
        HttpContext context, string method, string rawPath, string[] segments, Dictionary<string, string> headers,
        ParamBag bag, List<KeyValuePair<string, string>> queryPairs)
    {
        if (!rawPath.StartsWith(Prefix + "/", StringComparison.Ordinal)
            || !router.TryMatch(method, segments, out var handler, out var routeValues, out var anonymous))
        {
            return ApiResult.Error(404, "404 Not Found");
        }

        lock (state.Gate)
        {
            var token = headers.GetValueOrDefault("PRIVATE-TOKEN")
                ?? (headers.GetValueOrDefault("Authorization") is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null);
            UserEntity? user = null;
            if (token is not null && (!state.Tokens.TryGetValue(token, out user) || user.State != "active"))
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
                Scope = new EventScope(headers.GetValueOrDefault("X-Gitlab-Event-UUID")),
                Url = $"{context.Request.Scheme}://{context.Request.Host}{rawPath}",
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
