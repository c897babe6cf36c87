namespace GitLabMrBot.TestGitLab.Api;

/// <summary>
/// The route table: GitLab-style templates (<c>/projects/:id/merge_requests/:merge_request_iid</c>) matched
/// segment by segment on the raw, still-encoded path, so <c>group%2Fapp</c> and <c>lib%2Fa.rb</c> stay one segment;
/// parameters are URL-decoded after matching. A new endpoint is one <see cref="Map"/> line.
/// </summary>
internal sealed class ApiRouter
{
    private readonly List<Route> routes = [];

    public delegate ApiResult Handler(ApiRequest request);

    private sealed record Route(string Method, string[] Segments, Handler Handler, bool Anonymous);

    public ApiRouter Map(string method, string template, Handler handler, bool anonymous = false)
    {
        routes.Add(new Route(method, template.Trim('/').Split('/'), handler, anonymous));
        return this;
    }

    public bool TryMatch(string method, string[] rawSegments, out Handler handler, out Dictionary<string, string> parameters, out bool anonymous)
    {
        foreach (var route in routes)
        {
            if (route.Method == method && TryBind(route.Segments, rawSegments, out parameters))
            {
                handler = route.Handler;
                anonymous = route.Anonymous;
                return true;
            }
        }

        handler = null!;
        parameters = [];
        anonymous = false;
        return false;
    }

    private static bool TryBind(string[] template, string[] raw, out Dictionary<string, string> parameters)
    {
        parameters = [];
        if (template.Length != raw.Length)
        {
            return false;
        }

        for (var i = 0; i < template.Length; i++)
        {
            if (template[i].StartsWith(':'))
            {
                if (raw[i].Length == 0)
                {
                    return false;
                }

                parameters[template[i][1..]] = Uri.UnescapeDataString(raw[i]);
            }
            else if (!template[i].Equals(raw[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
