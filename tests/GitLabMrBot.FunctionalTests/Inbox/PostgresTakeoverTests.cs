using System.Diagnostics;
using System.Text;
using GitLabMrBot.FunctionalTests.Storage;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GitLabMrBot.FunctionalTests.Inbox;

/// <summary>
/// Several instances on one PostgreSQL inbox (real hosts, real server): a live instance's heartbeat keeps its claim
/// however long it processes, and a dead instance's claims go to a survivor once their short lease runs out.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresTakeoverTests(PostgresServer server) : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(40);
    private readonly PostgresTestSchema _schema = new(server);
    private readonly TempDirectory _directory = new();

    public Task InitializeAsync() => _schema.CreateAsync();

    public Task DisposeAsync() => _schema.DropAsync();

    public void Dispose() => _directory.Dispose();

    private static NewDelivery Delivery(string key, string subject) =>
        new(key, "Merge Request Hook", subject, null, DateTimeOffset.UtcNow, Encoding.UTF8.GetBytes("{}"));

    private IHost Instance(IDeliveryProcessor processor, Action<Dictionary<string, string?>>? settings = null) =>
        WorkerHost.Build(_directory.File("unused.db"), processor, s =>
        {
            s[GitLabMrBot.Configuration.BotSettings.DatabaseKey] = _schema.ConnectionString;
            settings?.Invoke(s);
        });

    private static IInboxStore Store(IHost host) => host.Services.GetRequiredService<IInboxStore>();

    [Fact]
    public async Task Defect7_a_surviving_instance_takes_over_a_dead_instances_MR_within_20_seconds()
    {
        // What a killed instance leaves: a claim under the default lease, which no heartbeat renews any more.
        var lease = new InboxOptions().Lease;
        string id;
        long claimedAt;
        await using (var dead = new PostgresInboxStore(_schema.ConnectionString, TimeProvider.System))
        {
            id = (await dead.AppendAsync(Delivery("k1", "mr:1:1"), CancellationToken.None)).DeliveryId;
            claimedAt = Stopwatch.GetTimestamp();
            Assert.NotNull(await dead.ClaimNextAsync("dead-host/1/0", lease, CancellationToken.None));
        }

        var processed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var recording = new TestProcessor((batch, _) =>
        {
            processed.TrySetResult(batch.Deliveries.Single().Id);
            return Task.CompletedTask;
        });
        // The survivor runs with the defaults (lease, poll interval), as an operator's would.
        using var survivor = Instance(recording, s =>
        {
            s.Remove("Inbox:Lease");
            s.Remove("Inbox:PollInterval");
        });
        await survivor.StartAsync();
        var done = await Task.WhenAny(processed.Task, Task.Delay(TimeSpan.FromSeconds(25)));
        var waited = Stopwatch.GetElapsedTime(claimedAt);
        Assert.True(done == processed.Task, $"no survivor had taken the dead instance's MR after {waited.TotalSeconds:0.0} s");
        await survivor.StopAsync();

        Assert.Equal(id, await processed.Task);
        Assert.True(waited <= TimeSpan.FromSeconds(20), $"the survivor took over after {waited.TotalSeconds:0.0} s (target: 20 s)");
        Assert.True(waited >= lease - TimeSpan.FromMilliseconds(50), $"the survivor took a live lease after {waited.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_live_instance_keeps_its_claim_by_heartbeat_while_processing_longer_than_the_lease()
    {
        var lease = TimeSpan.FromSeconds(1);
        var longWork = lease * 3;
        var processing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowRuns = 0;
        var slow = new TestProcessor(async (_, cancellationToken) =>
        {
            Interlocked.Increment(ref slowRuns);
            processing.TrySetResult();
            // The processing itself: three leases long, so only renewals keep the claim.
            await Task.Delay(longWork, cancellationToken);
        });
        var otherRuns = 0;
        var other = new TestProcessor((_, _) =>
        {
            Interlocked.Increment(ref otherRuns);
            return Task.CompletedTask;
        });
        void Short(Dictionary<string, string?> s)
        {
            s["Inbox:Lease"] = WorkerHost.Ms(lease.TotalMilliseconds);
            s["Inbox:PollInterval"] = WorkerHost.Ms(100);
        }
        using var a = Instance(slow, Short);
        await a.StartAsync();
        await Store(a).AppendAsync(Delivery("k1", "mr:1:1"), CancellationToken.None);
        await processing.Task.WaitAsync(Timeout);
        using var b = Instance(other, Short);
        await b.StartAsync();

        await Eventually.HoldsAsync(async () => (await Store(a).ListAsync(DeliveryStatus.Done, CancellationToken.None)).Count == 1, "the slow batch done", Timeout);
        await b.StopAsync();
        await a.StopAsync();

        Assert.Equal(1, slowRuns);
        Assert.Equal(0, otherRuns);
        Assert.Equal(0, (await Store(a).ListAsync(DeliveryStatus.Done, CancellationToken.None)).Single().Attempts);
    }
}
