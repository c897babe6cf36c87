using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;
using GitLabMrBot.Storage.Postgres;
using GitLabMrBot.Storage.Sqlite;

namespace GitLabMrBot.Health;

/// <summary>
/// One condition of <c>GET /readyz</c>. Every registered check must pass; features add theirs with
/// <c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;IReadinessCheck, MyCheck&gt;())</c>
/// (the policy config adds "config loaded").
/// </summary>
public interface IReadinessCheck
{
    /// <summary>A short name shown in the /readyz answer, e.g. <c>inbox</c>.</summary>
    string Name { get; }

    Task<bool> IsReadyAsync(CancellationToken cancellationToken);
}

/// <summary>Ready when the inbox store answers.</summary>
public sealed class InboxReadinessCheck(IInboxStore store) : IReadinessCheck
{
    public string Name => "inbox";

    public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => store.PingAsync(cancellationToken);
}
