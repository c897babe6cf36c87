using System.Net;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace GitLabMrBot.FunctionalTests.Webhooks;

/// <summary>The store going down: 503 (so GitLab sees a failure, not a false success), /readyz 503, and recovery.</summary>
public sealed class StoreFailureTests : IAsyncLifetime
{
    private BotHost _host = null!;

    // Created, and disposed, by the host's container.
    private FailingInboxStore Store => (FailingInboxStore)_host.Store;

    public async Task InitializeAsync() =>
        _host = await BotHost.StartAsync(configureServices: (services, path) =>
            services.AddSingleton<IInboxStore>(_ => new FailingInboxStore(new SqliteInboxStore(path, TimeProvider.System))));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Store_failure_is_503_and_the_next_request_after_recovery_is_accepted()
    {
        using (var warmUp = await _host.Client.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
        }
        Store.Failing = true;

        using var failed = await _host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", Payloads.MergeRequest(1, 1)));
        using var notReady = await _host.Client.GetAsync("/readyz");
        Store.Failing = false;
        using var recovered = await _host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", Payloads.MergeRequest(1, 2)));
        using var ready = await _host.Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("disk I/O", await failed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, recovered.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var stored = await Store.ListAsync(null, CancellationToken.None);
        Assert.Equal(["mr:1:2"], stored.Select(d => d.Subject));
        Assert.Contains(_host.Logs.Entries, e => e.EventId.Id == 1011);
    }

    /// <summary>The real SQLite store, made to fail on demand as a store that lost its disk would.</summary>
    private sealed class FailingInboxStore(SqliteInboxStore inner) : IInboxStore, IAsyncDisposable
    {
        public volatile bool Failing;

        public Task<AppendResult> AppendAsync(NewDelivery delivery, CancellationToken cancellationToken) =>
            Failing ? throw new InboxUnavailableException("disk I/O error (simulated)") : inner.AppendAsync(delivery, cancellationToken);

        public Task<bool> PingAsync(CancellationToken cancellationToken) => Failing ? Task.FromResult(false) : inner.PingAsync(cancellationToken);

        public Task<ClaimedBatch?> ClaimNextAsync(string owner, TimeSpan lease, CancellationToken cancellationToken) => inner.ClaimNextAsync(owner, lease, cancellationToken);

        public Task<bool> RenewLeaseAsync(ClaimedBatch batch, TimeSpan lease, CancellationToken cancellationToken) => inner.RenewLeaseAsync(batch, lease, cancellationToken);

        public Task ReleaseAsync(ClaimedBatch batch, DateTimeOffset dueAt, string? reason, CancellationToken cancellationToken) => inner.ReleaseAsync(batch, dueAt, reason, cancellationToken);

        public Task<int> ExpireOrphanedClaimsAsync(CancellationToken cancellationToken) => inner.ExpireOrphanedClaimsAsync(cancellationToken);

        public Task CompleteAsync(ClaimedBatch batch, CancellationToken cancellationToken) => inner.CompleteAsync(batch, cancellationToken);

        public Task FailAsync(ClaimedBatch batch, string error, DateTimeOffset? retryAt, CancellationToken cancellationToken) => inner.FailAsync(batch, error, retryAt, cancellationToken);

        public Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken) => inner.NextDueAsync(cancellationToken);

        public Task<int> PruneAsync(DateTimeOffset completedBefore, CancellationToken cancellationToken) => inner.PruneAsync(completedBefore, cancellationToken);

        public Task<IReadOnlyList<StoredDelivery>> ListAsync(DeliveryStatus? status, CancellationToken cancellationToken) => inner.ListAsync(status, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
