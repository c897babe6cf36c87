namespace GitLabMrBot;

/// <summary>
/// The bot's one retry-delay formula: exponential from a first delay, capped, optionally jittered. Used by the inbox's
/// retries, the mergeability re-checks and the GitLab client's note re-checks (the HTTP retries are Polly's own).
/// </summary>
public static class Backoff
{
    /// <summary>The wait before <paramref name="attempt"/> (1 for the first): <paramref name="first"/> doubled per attempt, at most <paramref name="max"/>.</summary>
    public static TimeSpan Exponential(int attempt, TimeSpan first, TimeSpan max)
    {
        // Beyond 2^62 every delay is past any cap; the bound keeps Math.Pow finite for absurd attempt numbers.
        var exponent = Math.Clamp(attempt, 1, 63) - 1;
        var ticks = first.Ticks * Math.Pow(2, exponent);
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>
    /// <paramref name="delay"/> spread by ±20%; <paramref name="random"/> is uniform in [0, 1) (0.5: unchanged). Spreads the
    /// retries of work that failed together (e.g. GitLab down) instead of retrying it in lockstep.
    /// </summary>
    public static TimeSpan Jittered(TimeSpan delay, double random) => TimeSpan.FromTicks((long)(delay.Ticks * (0.8 + (0.4 * random))));
}
