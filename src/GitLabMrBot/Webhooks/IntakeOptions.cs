namespace GitLabMrBot.Webhooks;

/// <summary>
/// Limits of the HTTP intake (configuration section <c>Intake</c>), applied to Kestrel and to the webhook's body reads.
/// The defaults hold a crowd of idle or hostile connections without exhausting file descriptors or memory, and stay far
/// above what GitLab needs: it opens a connection per delivery, sends at once, and gives up after 10 s
/// (docs/gitlab-behaviour.md §1.3).
/// </summary>
public sealed class IntakeOptions
{
    public const string Section = "Intake";

    /// <summary>Connections open at once; further ones are closed as soon as they are accepted (Kestrel's MaxConcurrentConnections).</summary>
    public long MaxConnections { get; set; } = 1000;

    /// <summary>How long a connection may stay open without sending a request (Kestrel's KeepAliveTimeout, 130 s by default).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a request's headers may take once it started (Kestrel's RequestHeadersTimeout).</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Slowest body accepted after a 5 s grace (Kestrel's MinRequestBodyDataRate): a trickled body cannot hold its memory for long.</summary>
    public double MinBodyBytesPerSecond { get; set; } = 10 * 1024;

    /// <summary>
    /// Bytes of webhook bodies being read and held at once, over every request. A request that would go over it is answered
    /// 503 with <c>Retry-After</c> before its body is read. At least <c>Inbox:MaxBodyBytes</c>, so the largest body fits.
    /// </summary>
    public long MaxBodyBytesInFlight { get; set; } = 64 * 1024 * 1024;

    /// <summary>The <c>Retry-After</c> of a 503 (bodies in flight over the limit, store unable to write).</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);
}
