namespace GitLabMrBot.TestGitLab;

/// <summary>What goes wrong with a matching request.</summary>
public abstract record Fault
{
    private Fault()
    {
    }

    /// <summary>429 with <c>Retry-After</c> and GitLab's RateLimit-* headers (docs/gitlab-behaviour.md §3.8); the change is not applied.</summary>
    public static Fault RateLimited(int retryAfterSeconds = 1) => new RateLimitFault(retryAfterSeconds);

    /// <summary>500; with <paramref name="afterApplying"/> the change is made (and its webhooks fire) before the 500, as GitLab sometimes does.</summary>
    public static Fault ServerError(bool afterApplying = false) => new ServerErrorFault(afterApplying);

    /// <summary>The request is served normally after <paramref name="delay"/>.</summary>
    public static Fault Latency(TimeSpan delay) => new LatencyFault(delay);

    /// <summary>
    /// The connection is aborted without any response; the change is not applied, or with <paramref name="afterApplying"/>
    /// it is made (and its webhooks fire) before the answer is lost.
    /// </summary>
    public static Fault DropConnection(bool afterApplying = false) => new DropConnectionFault(afterApplying);

    /// <summary>502 <c>GitLab is not responding</c> (text) from Workhorse when Rails cannot be reached; the change is not applied.</summary>
    public static Fault BadGateway() => new BadGatewayFault();

    /// <summary>503 <c>{"message":"503 Service Unavailable"}</c> (the API's <c>service_unavailable!</c>); the change is not applied.</summary>
    public static Fault ServiceUnavailable() => new ServiceUnavailableFault();

    /// <summary>
    /// Runs <paramref name="change"/> (e.g. a seeding call on the server) just before the matching request is served, as if another
    /// client's request had landed first; the request is then served normally against the changed state.
    /// </summary>
    public static Fault ConcurrentChange(Action change) => new ConcurrentChangeFault(change);

    internal sealed record RateLimitFault(int RetryAfterSeconds) : Fault;

    internal sealed record ServerErrorFault(bool AfterApplying) : Fault;

    internal sealed record LatencyFault(TimeSpan Delay) : Fault;

    internal sealed record DropConnectionFault(bool AfterApplying) : Fault;

    internal sealed record BadGatewayFault : Fault;

    internal sealed record ServiceUnavailableFault : Fault;

    internal sealed record ConcurrentChangeFault(Action Change) : Fault;

    internal string Name => this switch
    {
        RateLimitFault => "429",
        ServerErrorFault { AfterApplying: true } => "500-after-apply",
        ServerErrorFault => "500",
        LatencyFault => "latency",
        BadGatewayFault => "502",
        ServiceUnavailableFault => "503",
        ConcurrentChangeFault => "concurrent-change",
        DropConnectionFault { AfterApplying: true } => "dropped-after-apply",
        _ => "dropped",
    };
}

/// <summary>An injected fault; <see cref="Remaining"/> counts the matching requests it will still hit.</summary>
public sealed class FaultRule
{
    private int remaining;

    internal FaultRule(string method, string pathPattern, Fault fault, int times)
    {
        Method = method.ToUpperInvariant();
        PathPattern = pathPattern;
        Fault = fault;
        remaining = times;
        Segments = pathPattern.Trim('/').Split('/');
    }

    public string Method { get; }
    public string PathPattern { get; }
    public Fault Fault { get; }
    public int Remaining => Volatile.Read(ref remaining);
    private string[] Segments { get; }

    /// <summary>
    /// Matches a path relative to <c>/api/v4</c>. In the pattern, <c>*</c> or <c>:name</c> matches one segment and
    /// <c>**</c> any rest, so route templates work as patterns: <c>/projects/:id/merge_requests/:iid</c>.
    /// </summary>
    internal bool TryTake(string method, string[] pathSegments)
    {
        if ((Method != "*" && Method != method) || !Matches(pathSegments))
        {
            return false;
        }

        while (true)
        {
            var current = Volatile.Read(ref remaining);
            if (current <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref remaining, current - 1, current) == current)
            {
                return true;
            }
        }
    }

    private bool Matches(string[] path)
    {
        for (var i = 0; i < Segments.Length; i++)
        {
            if (Segments[i] == "**")
            {
                return true;
            }

            if (i >= path.Length || (Segments[i] != "*" && !Segments[i].StartsWith(':') && !Segments[i].Equals(path[i], StringComparison.Ordinal)))
            {
                return false;
            }
        }

        return Segments.Length == path.Length;
    }
}
