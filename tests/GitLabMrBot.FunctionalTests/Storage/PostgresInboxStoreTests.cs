using System.Collections.Concurrent;
using System.Net;
using System.Text;
using GitLabMrBot.Configuration;
using GitLabMrBot.Events;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;
using GitLabMrBot.Processing.Reconciliation;
using GitLabMrBot.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace GitLabMrBot.FunctionalTests.Storage;

/// <summary>
/// The PostgreSQL provider against the store contract, each test in its own fresh schema, plus what only this
/// provider promises: several instances (separate stores, as separate processes would be) on one database.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresInboxStoreTests(PostgresServer server) : InboxStoreContract
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private readonly PostgresTestSchema _schema = new(server);

    private string ConnectionString => _schema.ConnectionString;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await _schema.CreateAsync();
    }

    public override async Task DisposeAsync()
    {
        // Stores first: their connections must be closed before their schema goes.
        await base.DisposeAsync();
        await _schema.DropAsync();
    }

    protected override IInboxStore OpenStore(TimeProvider time) => new PostgresInboxStore(ConnectionString, time);

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private NewDelivery Delivery(string key, string subject = "mr:1:1") =>
        new(key, "Merge Request Hook", subject, null, Time.GetUtcNow(), Encoding.UTF8.GetBytes("{}"));

    [Fact]
    public async Task First_use_creates_the_tables_in_the_connections_schema_with_a_schema_version()
    {
        var store = Open();

        Assert.True(await store.PingAsync(CancellationToken.None));

        Assert.Equal(PostgresInboxStore.SchemaVersion, await ScalarAsync("SELECT version FROM mrbot_schema"));
        Assert.Equal(
            new NpgsqlConnectionStringBuilder(ConnectionString).SearchPath,
            await ScalarAsync("SELECT n.nspname::text FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE c.oid = 'mrbot_deliveries'::regclass"));
    }

    [Fact]
    public async Task Instances_starting_together_create_the_schema_once_and_all_work()
    {
        var stores = Enumerable.Range(0, 6).Select(_ => Open()).ToList();

        var results = await Task.WhenAll(stores.Select((store, i) => Task.Run(() => store.AppendAsync(Delivery($"k{i}", $"mr:1:{i}"), CancellationToken.None))));

        Assert.All(results, r => Assert.False(r.Duplicate));
        Assert.Equal(6L, await ScalarAsync("SELECT COUNT(*) FROM mrbot_deliveries"));
        Assert.Equal(1L, await ScalarAsync("SELECT COUNT(*) FROM mrbot_schema"));
    }

    [Fact]
    public async Task A_database_from_a_newer_schema_is_refused_with_a_clear_error()
    {
        var store = Open();
        Assert.True(await store.PingAsync(CancellationToken.None));
        await ScalarAsync($"UPDATE mrbot_schema SET version = {PostgresInboxStore.SchemaVersion + 1}");

        var newer = Open();
        var error = await Assert.ThrowsAsync<InboxUnavailableException>(() => newer.ListAsync(null, CancellationToken.None));

        Assert.Contains("newer", error.Message);
        Assert.False(await newer.PingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_version_1_database_is_migrated_and_its_queued_work_is_claimed_as_before()
    {
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        var expired = now - 1000;
        var live = now + 60_000;
        // The schema version 1 shipped with, and work in every state: two subjects claimable (one through an expired
        // lease), one in flight under a live lease with a delivery queued behind it, and done history.
        await ScalarAsync($"""
            CREATE TABLE mrbot_schema (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), version integer NOT NULL);
            CREATE TABLE mrbot_deliveries (
              id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, dedupe_key text NOT NULL UNIQUE, event text NOT NULL,
              subject text NOT NULL, event_uuid text NULL, received_at bigint NOT NULL, body bytea NOT NULL, status text NOT NULL,
              attempts integer NOT NULL DEFAULT 0, next_attempt_at bigint NOT NULL, lease_owner text NULL, lease_until bigint NULL,
              last_error text NULL, completed_at bigint NULL);
            CREATE INDEX ix_mrbot_deliveries_pending ON mrbot_deliveries (id) INCLUDE (subject, next_attempt_at) WHERE status = 'pending';
            CREATE INDEX ix_mrbot_deliveries_leased ON mrbot_deliveries (subject, lease_until) WHERE status = 'processing';
            CREATE INDEX ix_mrbot_deliveries_subject ON mrbot_deliveries (subject, status, id);
            CREATE INDEX ix_mrbot_deliveries_done ON mrbot_deliveries (completed_at) WHERE status = 'done';
            INSERT INTO mrbot_schema (version) VALUES (1);
            INSERT INTO mrbot_deliveries (dedupe_key, event, subject, received_at, body, status, next_attempt_at, lease_owner, lease_until, completed_at) VALUES
              ('d0', 'Push Hook', 'mr:9:0', {now}, '\x7b7d', 'done', {now}, NULL, NULL, {now}),
              ('a1', 'Push Hook', 'mr:9:1', {now}, '\x7b7d', 'pending', {now}, NULL, NULL, NULL),
              ('b1', 'Push Hook', 'mr:9:2', {now}, '\x7b7d', 'processing', {now}, 'dead-instance', {expired}, NULL),
              ('c1', 'Push Hook', 'mr:9:3', {now}, '\x7b7d', 'processing', {now}, 'other-instance', {live}, NULL),
              ('c2', 'Push Hook', 'mr:9:3', {now}, '\x7b7d', 'pending', {now}, NULL, NULL, NULL),
              ('a2', 'Push Hook', 'mr:9:1', {now}, '\x7b7d', 'pending', {now}, NULL, NULL, NULL);
            """);

        var store = Open();
        var first = await store.ClaimNextAsync("w", Lease, CancellationToken.None);
        var second = await store.ClaimNextAsync("w", Lease, CancellationToken.None);
        var third = await store.ClaimNextAsync("w", Lease, CancellationToken.None);

        Assert.Equal(PostgresInboxStore.SchemaVersion, await ScalarAsync("SELECT version FROM mrbot_schema"));
        Assert.NotNull(first);
        Assert.Equal("mr:9:1", first.Subject);
        Assert.Equal(["a1", "a2"], first.Deliveries.Select(d => d.DedupeKey));
        Assert.NotNull(second);
        Assert.Equal("mr:9:2", second.Subject);
        Assert.Equal(["b1"], second.Deliveries.Select(d => d.DedupeKey));
        // The subject in flight stays held until its lease runs out; the worker sleeps until then at the latest.
        Assert.Null(third);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(live), await store.NextDueAsync(CancellationToken.None));
        Time.Advance(TimeSpan.FromMinutes(2));
        var taken = await store.ClaimNextAsync("w", Lease, CancellationToken.None);
        Assert.NotNull(taken);
        Assert.Equal(["c1", "c2"], taken.Deliveries.Select(d => d.DedupeKey));
    }

    [Fact]
    public async Task An_unreachable_server_answers_unavailable_and_never_crashes()
    {
        // A port nothing listens on: the constructor succeeds (an instance may start before its database).
        await using var store = new PostgresInboxStore($"Host=127.0.0.1;Port={ClosedPort()};Username=postgres;Timeout=5", Time);

        var append = await Assert.ThrowsAsync<InboxUnavailableException>(() => store.AppendAsync(Delivery("k"), CancellationToken.None));
        await Assert.ThrowsAsync<InboxUnavailableException>(() => store.ClaimNextAsync("w", Lease, CancellationToken.None));

        Assert.NotNull(append.InnerException);
        Assert.False(await store.PingAsync(CancellationToken.None));
    }

    [Fact]
    public void A_malformed_connection_string_is_refused_without_echoing_its_values()
    {
        var error = Assert.Throws<InboxUnavailableException>(() => new PostgresInboxStore("Host=db;Pasword=hunter2-secret", Time));

        Assert.Contains(BotSettings.DatabaseKey, error.Message);
        Assert.DoesNotContain("hunter2", error.Message);
    }

    [Fact]
    public async Task An_append_after_disposal_is_refused_as_unavailable()
    {
        var store = Open();
        await store.AppendAsync(Delivery("before"), CancellationToken.None);
        await CloseAsync(store);

        await Assert.ThrowsAsync<InboxUnavailableException>(() => store.AppendAsync(Delivery("late"), CancellationToken.None));
        Assert.False(await store.PingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Schemas_sharing_a_database_are_separate_inboxes()
    {
        var other = await server.CreateSchemaAsync();
        try
        {
            await using var elsewhere = new PostgresInboxStore(other, Time);
            var store = Open();
            await store.AppendAsync(Delivery("same-key"), CancellationToken.None);

            var there = await elsewhere.AppendAsync(Delivery("same-key"), CancellationToken.None);

            Assert.False(there.Duplicate);
            Assert.Single(await store.ListAsync(null, CancellationToken.None));
            // The subject lock is per table: the other schema's claim of the same subject does not block this one.
            Assert.NotNull(await elsewhere.ClaimNextAsync("w", Lease, CancellationToken.None));
            Assert.NotNull(await store.ClaimNextAsync("w", Lease, CancellationToken.None));
        }
        finally
        {
            await server.DropSchemaAsync(other);
        }
    }

    [Fact]
    public async Task Group_commit_shares_one_transaction_and_resolves_equal_keys_across_instances()
    {
        var first = Open();
        var second = Open();
        await first.AppendAsync(Delivery("warm-up-1"), CancellationToken.None);
        await second.AppendAsync(Delivery("warm-up-2"), CancellationToken.None);
        var keys = Enumerable.Range(0, 200).Select(i => $"key-{i % 50}").ToArray();
        var results = new Task<AppendResult>[keys.Length];

        // A lock on the table holds both writers at their next commit, so every append queues behind it.
        await using (var blocker = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString))
        {
            await blocker.OpenAsync();
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE mrbot_deliveries IN EXCLUSIVE MODE", blocker, transaction))
            {
                await lockTable.ExecuteNonQueryAsync();
            }
            // Parallel callers, half on each instance, with the same keys racing between instances.
            Parallel.For(0, keys.Length, i =>
                results[i] = (i % 3 == 0 ? second : first).AppendAsync(Delivery(keys[i], $"mr:2:{i % 7}"), CancellationToken.None));
            Assert.DoesNotContain(results, r => r.IsCompleted);
            await transaction.CommitAsync();
        }
        var answers = await Task.WhenAll(results);

        var byKey = keys.Zip(answers).GroupBy(p => p.First).ToList();
        Assert.Equal(50, byKey.Count);
        foreach (var group in byKey)
        {
            Assert.Single(group, p => !p.Second.Duplicate);
            Assert.Single(group.Select(p => p.Second.DeliveryId).Distinct());
        }
        Assert.Equal(50L, await ScalarAsync("SELECT COUNT(*) FROM mrbot_deliveries WHERE dedupe_key LIKE 'key-%'"));
        // At most two commits per instance (the one the lock held, then everything queued behind it); a writer that
        // lost a deadlock between the instances retried its whole batch as one transaction again.
        var transactions = (long)(await ScalarAsync("SELECT COUNT(DISTINCT xmin::text) FROM mrbot_deliveries WHERE dedupe_key LIKE 'key-%'"))!;
        Assert.InRange(transactions, 1, 4);
    }

    [Fact]
    public async Task Instances_claiming_concurrently_never_hold_one_subject_twice()
    {
        const int Subjects = 20;
        const int Stores = 4;
        const int Appended = 800;
        var stores = Enumerable.Range(0, Stores).Select(_ => Open()).ToList();
        for (var i = 0; i < Appended / 2; i++)
        {
            await stores[i % Stores].AppendAsync(Delivery($"k{i}", $"mr:3:{i % Subjects}"), CancellationToken.None);
        }

        var inFlight = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var overlaps = new ConcurrentQueue<string>();
        var claimed = new ConcurrentQueue<string>();
        var batches = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        // More appends keep arriving on every instance while they claim, so claims race with commits too.
        var appender = Task.WhenAll(Enumerable.Range(0, Stores).Select(s => Task.Run(async () =>
        {
            for (var i = (Appended / 2) + s; i < Appended; i += Stores)
            {
                await stores[s].AppendAsync(Delivery($"k{i}", $"mr:3:{i % Subjects}"), CancellationToken.None);
            }
        })));
        var workers = Enumerable.Range(0, Stores * 3).Select(w => Task.Run(async () =>
        {
            var store = stores[w % Stores];
            var owner = $"instance-{w % Stores}/loop-{w}";
            while (!deadline.IsCancellationRequested)
            {
                var batch = await store.ClaimNextAsync(owner, Lease, CancellationToken.None);
                if (batch is null)
                {
                    if (appender.IsCompleted && claimed.Count >= Appended)
                    {
                        return;
                    }
                    await Task.Yield();
                    continue;
                }
                if (!inFlight.TryAdd(batch.Subject, owner))
                {
                    overlaps.Enqueue($"{batch.Subject} claimed by {owner} while {inFlight.GetValueOrDefault(batch.Subject)} held it");
                }
                Interlocked.Increment(ref batches);
                foreach (var delivery in batch.Deliveries)
                {
                    claimed.Enqueue(delivery.Id);
                }
                await Task.Yield();
                // Released before completing: once complete, another instance may rightly claim the subject.
                inFlight.TryRemove(new KeyValuePair<string, string>(batch.Subject, owner));
                await store.CompleteAsync(batch, CancellationToken.None);
            }
        })).ToList();
        await Task.WhenAll(workers.Append(appender));

        Assert.Empty(overlaps);
        Assert.False(deadline.IsCancellationRequested, "the instances did not drain the inbox in time");
        // Every delivery was claimed exactly once: no lease expired, so nothing is processed twice.
        Assert.Equal(Appended, claimed.Count);
        Assert.Equal(Appended, claimed.Distinct().Count());
        Assert.Equal(Appended, (await stores[0].ListAsync(DeliveryStatus.Done, CancellationToken.None)).Count);
        Assert.True(batches < Appended, $"deliveries queued behind a subject in flight coalesce ({batches} batches for {Appended})");
    }

    [Fact]
    public async Task A_commit_on_one_instance_wakes_the_workers_of_another()
    {
        var listening = new InboxSignal();
        // The listener pulses once it is listening (it cannot know what it missed before).
        var ready = listening.NextPulse;
        await using var listener = new PostgresInboxStore(ConnectionString, Time, listening);
        var writer = Open();
        await ready.WaitAsync(TimeSpan.FromSeconds(60));

        var wake = listening.NextPulse;
        await writer.AppendAsync(Delivery("k"), CancellationToken.None);

        await wake.WaitAsync(TimeSpan.FromSeconds(60));
        var batch = await listener.ClaimNextAsync("w", Lease, CancellationToken.None);
        Assert.NotNull(batch);

        var released = listening.NextPulse;
        await writer.CompleteAsync(new ClaimedBatch(batch.Owner, batch.Subject, batch.Deliveries), CancellationToken.None);
        await released.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task The_bot_with_a_postgres_connection_string_accepts_stores_and_processes_webhooks()
    {
        var reconciler = new RecordingReconciler();
        var projectId = Payloads.UniqueProjectId();
        await using var host = await BotHost.StartAsync(
            new Dictionary<string, string?> { [BotSettings.DatabaseKey] = ConnectionString },
            (services, _) => services.AddSingleton<IMergeRequestReconciler>(reconciler));

        using var ready = await host.Client.GetAsync("/readyz");
        using var response = await host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", Payloads.MergeRequest(projectId, 7)));

        Assert.IsType<PostgresInboxStore>(host.Store);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.HoldsAsync(() => reconciler.Calls.Any(c => c.MergeRequest == new MergeRequestRef(projectId, 7)), "the delivery was processed");
        await Eventually.HoldsAsync(async () => (long)(await ScalarAsync("SELECT COUNT(*) FROM mrbot_deliveries WHERE status = 'done'"))! == 1, "the delivery is done in PostgreSQL");
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Expiring_orphaned_claims_at_start_leaves_other_instances_claims_to_their_leases()
    {
        var live = Open();
        await live.AppendAsync(Delivery("k1"), CancellationToken.None);
        Assert.NotNull(await live.ClaimNextAsync("live-host/1/0", Lease, CancellationToken.None));
        var starting = Open();

        Assert.Equal(0, await starting.ExpireOrphanedClaimsAsync(CancellationToken.None));

        Assert.Null(await starting.ClaimNextAsync("starting-host/2/0", Lease, CancellationToken.None));
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.NotNull(await starting.ClaimNextAsync("starting-host/2/0", Lease, CancellationToken.None));
    }
}
