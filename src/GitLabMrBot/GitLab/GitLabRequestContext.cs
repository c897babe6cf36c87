namespace GitLabMrBot.GitLab;

/// <summary>
/// The delivery being handled, as seen by every GitLab call made on its behalf. While a scope from
/// <see cref="Use"/> is open, requests carry its <c>X-Gitlab-Event-UUID</c>: GitLab then treats our
/// writes as part of the same event chain and does not fire the same hook again for them (docs/gitlab-behaviour.md §1.8).
/// Flows with the async call chain (an <see cref="AsyncLocal{T}"/>), so concurrent deliveries don't mix.
/// </summary>
public static class GitLabRequestContext
{
    public const string EventUuidHeader = "X-Gitlab-Event-UUID";

    private static readonly AsyncLocal<string?> Current = new();

    /// <summary>The event UUID of the delivery being handled in this async flow, if any.</summary>
    public static string? EventUuid => Current.Value;

    /// <summary>Opens a scope; disposing it restores the previous value (scopes nest). A blank UUID clears it.</summary>
    public static IDisposable Use(string? eventUuid)
    {
        var previous = Current.Value;
        Current.Value = string.IsNullOrWhiteSpace(eventUuid) ? null : eventUuid.Trim();
        return new Scope(previous);
    }

    private sealed class Scope(string? previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                Current.Value = previous;
            }
        }
    }
}
