using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitLabMrBot.TestGitLab.Model;
using GitLabMrBot.TestGitLab.Webhooks;

namespace GitLabMrBot.TestGitLab.Api;

/// <summary>A request as a handler sees it: route values, Grape-style merged parameters, the caller.</summary>
internal sealed class ApiRequest
{
    public required IReadOnlyDictionary<string, string> Route { get; init; }
    public required ParamBag Params { get; init; }
    public required UserEntity? User { get; init; }

    /// <summary>The personal access token the request authenticated with, if any.</summary>
    public TokenEntity? Token { get; init; }

    /// <summary>True when the request authenticated with an OAuth access token (<c>Authorization: Bearer</c>).</summary>
    public bool OAuth { get; init; }
    public required EventScope Scope { get; init; }

    /// <summary>Absolute URL of this request without its query, for pagination links.</summary>
    public required string Url { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string>> Query { get; init; }

    public UserEntity Caller => User ?? throw new ApiError(ApiResult.Message(401, "401 Unauthorized"));

    public string this[string routeValue] => Route[routeValue];
}

/// <summary>
/// Query and body parameters merged as Grape does: JSON body members, form fields and query values under one name;
/// <c>name[]</c> repeated or a JSON array make a list; a comma-separated string is also accepted for lists
/// (GitLab's CommaSeparatedToArray coercion).
/// </summary>
internal sealed class ParamBag
{
    private readonly Dictionary<string, List<string>> values = new(StringComparer.Ordinal);
    private readonly HashSet<string> arrays = new(StringComparer.Ordinal);

    public void Add(string name, string value)
    {
        if (name.EndsWith("[]", StringComparison.Ordinal))
        {
            name = name[..^2];
            arrays.Add(name);
        }

        if (!values.TryGetValue(name, out var list))
        {
            list = [];
            values[name] = list;
        }

        list.Add(value);
    }

    public void AddJson(string name, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Array:
                arrays.Add(name);
                if (!values.TryGetValue(name, out var list))
                {
                    list = [];
                    values[name] = list;
                }

                foreach (var item in value.EnumerateArray())
                {
                    list.Add(Scalar(item));
                }

                break;
            default:
                Add(name, Scalar(value));
                break;
        }
    }

    private static string Scalar(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.Null => "",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => e.GetRawText(),
    };

    public bool Has(string name) => values.ContainsKey(name);

    public IEnumerable<string> Names => values.Keys;

    public string? String(string name) => values.TryGetValue(name, out var v) ? v[^1] : null;

    public IReadOnlyList<string>? List(string name)
    {
        if (!values.TryGetValue(name, out var v))
        {
            return null;
        }

        IEnumerable<string> items = arrays.Contains(name) ? v : v[^1].Split(',');
        return [.. items.Select(s => s.Trim()).Where(s => s.Length > 0)];
    }

    public IReadOnlyList<int>? IntList(string name) =>
        List(name)?.Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
            ? i
            : throw new ApiError(ApiResult.Error(400, $"{name} is invalid"))).ToList();

    public int? Int(string name)
    {
        var s = String(name);
        if (string.IsNullOrEmpty(s))
        {
            return null;
        }

        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
            ? i
            : throw new ApiError(ApiResult.Error(400, $"{name} is invalid"));
    }

    public bool? Bool(string name) => String(name) switch
    {
        null or "" => null,
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new ApiError(ApiResult.Error(400, $"{name} is invalid")),
    };

    public DateTimeOffset? Time(string name)
    {
        var s = String(name);
        if (string.IsNullOrEmpty(s))
        {
            return null;
        }

        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : throw new ApiError(ApiResult.Error(400, $"{name} is invalid"));
    }

    /// <summary>A value restricted to a set, as Grape's <c>values:</c> validation (400 "x does not have a valid value").</summary>
    public string? OneOf(string name, params string[] allowed)
    {
        var s = String(name);
        return s is null || allowed.Contains(s) ? s : throw new ApiError(ApiResult.Error(400, $"{name} does not have a valid value"));
    }
}

/// <summary>A response: JSON (or text) body, status, extra headers.</summary>
internal sealed record ApiResult(int Status, JsonNode? Json, string? Text = null)
{
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static ApiResult Ok(JsonNode json) => new(200, json);

    public static ApiResult Created(JsonNode json) => new(201, json);

    /// <summary>GitLab's <c>{"message": "..."}</c> errors (not_found!, forbidden!, conflict!).</summary>
    public static ApiResult Message(int status, string message) => new(status, new JsonObject { ["message"] = message });

    /// <summary>Grape's validation and routing errors: <c>{"error": "..."}</c>.</summary>
    public static ApiResult Error(int status, string error) => new(status, new JsonObject { ["error"] = error });

    public static ApiError NotFound(string what) => new(Message(404, $"404 {what} Not Found"));

    public static ApiError Forbidden() => new(Message(403, "403 Forbidden"));

    /// <summary>
    /// GitLab counts at most this many records for the pagination headers (<c>Gitlab::Pagination::OffsetPagination</c> with
    /// Kaminari's count limit): a longer list comes without <c>x-total</c>, <c>x-total-pages</c> and the <c>last</c> link.
    /// </summary>
    public const int MaxCountedRecords = 10_000;

    /// <summary>
    /// Offset pagination (docs/gitlab-behaviour.md §3.8): <c>page</c> (default 1), <c>per_page</c> (default 20, capped at 100), the
    /// <c>x-*</c> headers and a <c>Link</c> header with prev/next/first/last that keeps the other query parameters; past
    /// <see cref="MaxCountedRecords"/> records the totals and the last link are left out.
    /// </summary>
    public static ApiResult Paged(ApiRequest request, IReadOnlyList<JsonNode> items)
    {
        var page = Math.Max(1, request.Params.Int("page") ?? 1);
        var perPage = request.Params.Int("per_page") ?? 20;
        perPage = perPage < 1 ? 20 : Math.Min(perPage, 100);
        var totalPages = Math.Max(1, (items.Count + perPage - 1) / perPage);
        var slice = items.Skip((page - 1) * perPage).Take(perPage).Select(n => n.DeepClone());
        var result = Ok(new JsonArray([.. slice]));
        var next = page < totalPages ? (page + 1).ToString(CultureInfo.InvariantCulture) : "";
        var prev = page > 1 ? (Math.Min(page, totalPages + 1) - 1).ToString(CultureInfo.InvariantCulture) : "";
        result.Headers["x-page"] = page.ToString(CultureInfo.InvariantCulture);
        result.Headers["x-per-page"] = perPage.ToString(CultureInfo.InvariantCulture);
        result.Headers["x-next-page"] = next;
        result.Headers["x-prev-page"] = prev;
        // Past MaxCountedRecords GitLab stops counting (Kaminari's without_count): no totals and no "last" link.
        var counted = items.Count <= MaxCountedRecords;
        if (counted)
        {
            result.Headers["x-total"] = items.Count.ToString(CultureInfo.InvariantCulture);
            result.Headers["x-total-pages"] = totalPages.ToString(CultureInfo.InvariantCulture);
        }

        var links = new List<string>();
        if (prev.Length > 0)
        {
            links.Add(Link(request, prev, perPage, "prev"));
        }

        if (next.Length > 0)
        {
            links.Add(Link(request, next, perPage, "next"));
        }

        links.Add(Link(request, "1", perPage, "first"));
        if (counted)
        {
            links.Add(Link(request, totalPages.ToString(CultureInfo.InvariantCulture), perPage, "last"));
        }

        result.Headers["Link"] = string.Join(", ", links);
        return result;
    }

    private static string Link(ApiRequest request, string page, int perPage, string rel)
    {
        var sb = new StringBuilder("<").Append(request.Url).Append('?');
        foreach (var (k, v) in request.Query.Where(q => q.Key is not ("page" or "per_page")))
        {
            sb.Append(Uri.EscapeDataString(k)).Append('=').Append(Uri.EscapeDataString(v)).Append('&');
        }

        sb.Append("page=").Append(page).Append("&per_page=").Append(perPage);
        return sb.Append(">; rel=\"").Append(rel).Append('"').ToString();
    }
}

/// <summary>Thrown by handlers to answer with an error result.</summary>
internal sealed class ApiError(ApiResult result) : Exception(result.Json?.ToJsonString())
{
    public ApiResult Result { get; } = result;
}
