using System.Text;
using GitLabMrBot.Inbox;
using Microsoft.Extensions.Time.Testing;

namespace GitLabMrBot.FunctionalTests.Storage;

/// <summary>
/// What every <see cref="IInboxStore"/> provider must do. A provider's test class derives from this and
/// only says how to open its store; nothing here may depend on the provider. Time is a fake clock that moves only when a test advances it.
/// </summary>
public abstract partial class InboxStoreContract : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private readonly List<IInboxStore> _opened = [];

    internal FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>
    /// Opens this test's store. Every call on one test instance opens the same, initially empty, database
    /// (a second call after <see cref="CloseAsync"/> is a restart).
    /// </summary>
    protected abstract IInboxStore OpenStore(TimeProvider time);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _opened.ToArray())
        {
            await CloseAsync(store);
        }
    }

    protected IInboxStore Open()
    {
        var store = OpenStore(Time);
        _opened.Add(store);
        return store;
    }

    protected async Task CloseAsync(IInboxStore store)
    {
        _opened.Remove(store);
        switch (store)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    private NewDelivery Delivery(string key, string subject = "mr:1:1", string body = "{}") =>
        new(key, "Merge Request Hook", subject, "uuid-" + key, Time.GetUtcNow(), Encoding.UTF8.GetBytes(body));

    private static async Task<string> Append(IInboxStore store, NewDelivery delivery)
    {
        var result = await store.AppendAsync(delivery, CancellationToken.None);
        Assert.False(result.Duplicate);
        return result.DeliveryId;
    }

    private static async Task<StoredDelivery> Get(IInboxStore store, string id) =>
        Assert.Single(await store.ListAsync(null, CancellationToken.None), d => d.Id == id);

    [Fact]
    public async Task Appended_delivery_is_stored_pending_with_all_its_fields()
    {
        var store = Open();
        var delivery = Delivery("key-1", "mr:42:7", """{"object_kind":"merge_request"}""");

        var result = await store.AppendAsync(delivery, CancellationToken.None);

        Assert.False(result.Duplicate);
        var stored = await Get(store, result.DeliveryId);
        Assert.Equal("key-1", stored.DedupeKey);
        Assert.Equal("Merge Request Hook", stored.Event);
        Assert.Equal("mr:42:7", stored.Subject);
        Assert.Equal("uuid-key-1", stored.EventUuid);
        Assert.Equal(delivery.ReceivedAt.ToUnixTimeMilliseconds(), stored.ReceivedAt.ToUnixTimeMilliseconds());
        Assert.Equal("""{"object_kind":"merge_request"}""", Encoding.UTF8.GetString(stored.Body.Span));
        Assert.Equal(DeliveryStatus.Pending, stored.Status);
        Assert.Equal(0, stored.Attempts);
        Assert.Null(stored.LastError);
    }

    [Fact]
    public async Task Same_dedupe_key_is_a_duplicate_with_the_first_id_and_stores_nothing()
    {
        var store = Open();
        var first = await store.AppendAsync(Delivery("key-1", body: "first"), CancellationToken.None);

        var second = await store.AppendAsync(Delivery("key-1", body: "second"), CancellationToken.None);

        Assert.True(second.Duplicate);
        Assert.Equal(first.DeliveryId, second.DeliveryId);
        var all = await store.ListAsync(null, CancellationToken.None);
        Assert.Equal("first", Encoding.UTF8.GetString(Assert.Single(all).Body.Span));
    }

    [Fact]
    public async Task Parallel_appends_store_exactly_one_delivery_per_key()
    {
        var store = Open();
        var keys = Enumerable.Range(0, 200).Select(i => $"key-{i % 50}").ToArray();

        var results = await Task.WhenAll(keys.Select(key => Task.Run(() => store.AppendAsync(Delivery(key), CancellationToken.None))));

        var byKey = keys.Zip(results).GroupBy(p => p.First).ToList();
        Assert.Equal(50, byKey.Count);
        foreach (var group in byKey)
        {
            Assert.Single(group, p => !p.Second.Duplicate);
            Assert.Single(group.Select(p => p.Second.DeliveryId).Distinct());
        }
        var stored = await store.ListAsync(null, CancellationToken.None);
        Assert.Equal(50, stored.Count);
        Assert.Equal(50, stored.Select(d => d.DedupeKey).Distinct().Count());
    }

    [Fact]
    public async Task Appends_get_distinct_ids_in_arrival_order()
    {
        var store = Open();
        var a = await Append(store, Delivery("a"));
        var b = await Append(store, Delivery("b"));

        Assert.NotEqual(a, b);
        Assert.Equal([a, b], (await store.ListAsync(null, CancellationToken.None)).Select(d => d.Id));
    }

    [Fact]
    public async Task Claim_takes_every_due_delivery_of_the_oldest_subject_at_once()
    {
        var store = Open();
        var a1 = await Append(store, Delivery("a1", "mr:1:1"));
        var b1 = await Append(store, Delivery("b1", "mr:1:2"));
        var a2 = await Append(store, Delivery("a2", "mr:1:1"));
        var a3 = await Append(store, Delivery("a3", "mr:1:1"));

        var batch = await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None);

        Assert.NotNull(batch);
        Assert.Equal("mr:1:1", batch.Subject);
        Assert.Equal("worker-1", batch.Owner);
        Assert.Equal([a1, a2, a3], batch.Deliveries.Select(d => d.Id));
        Assert.Equal(1, batch.Attempt);
        Assert.Equal([a1, a2, a3], (await store.ListAsync(DeliveryStatus.Processing, CancellationToken.None)).Select(d => d.Id));
        Assert.Equal(b1, Assert.Single(await store.ListAsync(DeliveryStatus.Pending, CancellationToken.None)).Id);
    }

    [Fact]
    public async Task Claim_returns_null_when_nothing_is_due()
    {
        var store = Open();

        Assert.Null(await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None));
    }

    [Fact]
    public async Task A_subject_in_flight_is_skipped_even_with_new_deliveries()
    {
        var store = Open();
        await Append(store, Delivery("a1", "mr:1:1"));
        var first = await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None);
        var a2 = await Append(store, Delivery("a2", "mr:1:1"));
        var b1 = await Append(store, Delivery("b1", "mr:1:2"));

        var second = await store.ClaimNextAsync("worker-2", Lease, CancellationToken.None);
        var third = await store.ClaimNextAsync("worker-3", Lease, CancellationToken.None);

        Assert.Equal("mr:1:1", first!.Subject);
        Assert.Equal("mr:1:2", second!.Subject);
        Assert.Equal(b1, Assert.Single(second.Deliveries).Id);
        Assert.Null(third);

        // Once the first batch is done, the delivery that queued behind it is claimable.
        await store.CompleteAsync(first, CancellationToken.None);
        var fourth = await store.ClaimNextAsync("worker-3", Lease, CancellationToken.None);
        Assert.Equal(a2, Assert.Single(fourth!.Deliveries).Id);
    }

    [Fact]
    public async Task Different_subjects_are_claimed_concurrently_by_different_workers()
    {
        var store = Open();
        for (var i = 0; i < 4; i++)
        {
            await Append(store, Delivery($"k{i}", $"mr:1:{i}"));
        }

        var batches = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            Task.Run(() => store.ClaimNextAsync($"worker-{i}", Lease, CancellationToken.None))));

        Assert.All(batches, b => Assert.NotNull(b));
        Assert.Equal(4, batches.Select(b => b!.Subject).Distinct().Count());
        Assert.Empty(await store.ListAsync(DeliveryStatus.Pending, CancellationToken.None));
    }

    [Fact]
    public async Task An_expired_lease_is_claimed_again()
    {
        var store = Open();
        var id = await Append(store, Delivery("a1"));
        await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None);
        Time.Advance(Lease - TimeSpan.FromSeconds(1));
        Assert.Null(await store.ClaimNextAsync("worker-2", Lease, CancellationToken.None));

        Time.Advance(TimeSpan.FromSeconds(2));
        var again = await store.ClaimNextAsync("worker-2", Lease, CancellationToken.None);

        Assert.NotNull(again);
        Assert.Equal("worker-2", again.Owner);
        Assert.Equal(id, Assert.Single(again.Deliveries).Id);
    }

    [Fact]
    public async Task A_delivery_taken_again_after_its_lease_expired_counts_the_unfinished_attempt()
    {
        // An attempt that never finished (the process died or hung) counts: a payload that kills the process
        // reaches MaxAttempts and becomes a dead letter instead of being retried for ever.
        var store = Open();
        var id = await Append(store, Delivery("a1"));
        var fresh = await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None);
        Assert.Equal(1, fresh!.Attempt);
        Time.Advance(Lease + TimeSpan.FromSeconds(1));

        var again = await store.ClaimNextAsync("worker-2", Lease, CancellationToken.None);

        Assert.Equal(2, again!.Attempt);
        var stored = await Get(store, id);
        Assert.Equal(1, stored.Attempts);
        Assert.Contains("lease expired", stored.LastError, StringComparison.Ordinal);
        await store.CompleteAsync(again, CancellationToken.None);
        Assert.Equal(DeliveryStatus.Done, (await Get(store, id)).Status);
    }

    [Fact]
    public async Task A_renewed_lease_keeps_the_subject_in_flight()
    {
        var store = Open();
        await Append(store, Delivery("a1"));
        var batch = await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None);
        Time.Advance(Lease - TimeSpan.FromSeconds(5));

        Assert.True(await store.RenewLeaseAsync(batch!, Lease, CancellationToken.None));
        Time.Advance(TimeSpan.FromSeconds(30));

        Assert.Null(await store.ClaimNextAsync("worker-2", Lease, CancellationToken.None));
    }

    [Fact]
    public async Task A_lost_lease_can_neither_renew_complete_nor_fail_the_new_owners_work()
    {
        var store = Open();
        var id = await Append(store, Delivery("a1"));
        var lost = await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None);
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        var current = await store.ClaimNextAsync("worker-2", Lease, CancellationToken.None);
        Assert.NotNull(current);

        Assert.False(await store.RenewLeaseAsync(lost!, Lease, CancellationToken.None));
        await store.CompleteAsync(lost!, CancellationToken.None);
        await store.FailAsync(lost!, "late failure", retryAt: null, CancellationToken.None);

        var stored = await Get(store, id);
        Assert.Equal(DeliveryStatus.Processing, stored.Status);
        // The lost attempt counts once (the re-claim); the late complete and fail changed nothing.
        Assert.Equal(1, stored.Attempts);
        Assert.DoesNotContain("late failure", stored.LastError ?? "", StringComparison.Ordinal);
        await store.CompleteAsync(current, CancellationToken.None);
        Assert.Equal(DeliveryStatus.Done, (await Get(store, id)).Status);
    }

    [Fact]
    public async Task Completed_deliveries_are_done_and_never_claimed_again()
    {
        var store = Open();
        var id = await Append(store, Delivery("a1"));
        var batch = await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None);

        await store.CompleteAsync(batch!, CancellationToken.None);
        Time.Advance(Lease * 10);

        Assert.Equal(DeliveryStatus.Done, (await Get(store, id)).Status);
        Assert.Null(await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None));
        Assert.Null(await store.NextDueAsync(CancellationToken.None));
    }

    [Fact]
    public async Task One_delivery_of_a_batch_set_aside_is_dead_alone_and_the_rest_completes()
    {
        // What the worker does with an unreadable delivery (issue 12, defect 3): fail it alone, complete the rest.
        var store = Open();
        var valid = await Append(store, Delivery("a1"));
        var unreadable = await Append(store, Delivery("a2"));
        var batch = (await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None))!;

        await store.FailAsync(batch with { Deliveries = [batch.Deliveries.Single(d => d.Id == unreadable)] }, "set aside: unreadable", retryAt: null, CancellationToken.None);
        await store.CompleteAsync(batch with { Deliveries = [batch.Deliveries.Single(d => d.Id == valid)] }, CancellationToken.None);

        var dead = await Get(store, unreadable);
        Assert.Equal((DeliveryStatus.Dead, 1, "set aside: unreadable"), (dead.Status, dead.Attempts, dead.LastError));
        Assert.Equal(DeliveryStatus.Done, (await Get(store, valid)).Status);
        Assert.Null(await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None));
        await Append(store, Delivery("a3"));
        Assert.NotNull(await store.ClaimNextAsync("worker-2", Lease, CancellationToken.None));
    }

    [Fact]
    public async Task A_failure_retries_at_the_given_time_then_dead_letters_with_the_last_error()
    {
        var store = Open();
        var id = await Append(store, Delivery("a1"));
        var first = await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None);
        var retryAt = Time.GetUtcNow() + TimeSpan.FromSeconds(10);

        await store.FailAsync(first!, "GitLab answered 502", retryAt, CancellationToken.None);

        var pending = await Get(store, id);
        Assert.Equal(DeliveryStatus.Pending, pending.Status);
        Assert.Equal(1, pending.Attempts);
        Assert.Equal("GitLab answered 502", pending.LastError);
        Assert.Equal(retryAt.ToUnixTimeMilliseconds(), pending.NextAttemptAt.ToUnixTimeMilliseconds());
        Assert.Equal(retryAt.ToUnixTimeMilliseconds(), (await store.NextDueAsync(CancellationToken.None))!.Value.ToUnixTimeMilliseconds());
        Assert.Null(await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None));

        Time.Advance(TimeSpan.FromSeconds(10));
        var second = await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None);
        Assert.NotNull(second);
        Assert.Equal(2, second.Attempt);

        await store.FailAsync(second, "GitLab answered 500", retryAt: null, CancellationToken.None);

        var dead = Assert.Single(await store.ListAsync(DeliveryStatus.Dead, CancellationToken.None));
        Assert.Equal(id, dead.Id);
        Assert.Equal(2, dead.Attempts);
        Assert.Equal("GitLab answered 500", dead.LastError);
        Time.Advance(TimeSpan.FromDays(1));
        Assert.Null(await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None));
        Assert.Null(await store.NextDueAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Next_due_is_null_when_empty_and_the_earliest_claimable_time_otherwise()
    {
        var store = Open();
        Assert.Null(await store.NextDueAsync(CancellationToken.None));

        await Append(store, Delivery("a1", "mr:1:1"));
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Equal(now, (await store.NextDueAsync(CancellationToken.None))!.Value.ToUnixTimeMilliseconds());

        // In flight: the subject's queued deliveries become claimable when the lease runs out, not before.
        await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None);
        await Append(store, Delivery("a2", "mr:1:1"));
        Assert.Equal(now + (long)Lease.TotalMilliseconds, (await store.NextDueAsync(CancellationToken.None))!.Value.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task A_delivery_with_not_before_is_stored_with_that_due_time_and_not_claimed_earlier()
    {
        var store = Open();
        var due = Time.GetUtcNow() + TimeSpan.FromMinutes(5);
        var id = await Append(store, Delivery("later", "mr:1:1") with { NotBefore = due });

        Assert.Equal(due.ToUnixTimeMilliseconds(), (await Get(store, id)).NextAttemptAt.ToUnixTimeMilliseconds());
        Assert.Equal(due.ToUnixTimeMilliseconds(), (await store.NextDueAsync(CancellationToken.None))!.Value.ToUnixTimeMilliseconds());
        Assert.Null(await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None));

        Time.Advance(TimeSpan.FromMinutes(5));
        var batch = await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None);
        Assert.Equal(id, Assert.Single(batch!.Deliveries).Id);
    }

    [Fact]
    public async Task A_scheduled_delivery_stays_queued_while_due_deliveries_of_its_subject_are_claimed()
    {
        var store = Open();
        var later = await Append(store, Delivery("later", "mr:1:1") with { NotBefore = Time.GetUtcNow() + TimeSpan.FromMinutes(1) });
        var now = await Append(store, Delivery("now", "mr:1:1"));

        var batch = await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None);
        Assert.Equal(now, Assert.Single(batch!.Deliveries).Id);
        await store.CompleteAsync(batch, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Pending, (await Get(store, later)).Status);
        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(later, Assert.Single((await store.ClaimNextAsync("worker-1", Lease, CancellationToken.None))!.Deliveries).Id);
    }

    [Fact]
    public async Task A_scheduled_delivery_survives_reopening_the_store()
    {
        var store = Open();
        var due = Time.GetUtcNow() + TimeSpan.FromMinutes(3);
        var id = await Append(store, Delivery("later", "mr:1:1") with { NotBefore = due });
        await CloseAsync(store);

        var reopened = Open();
        var stored = await Get(reopened, id);
        Assert.Equal(DeliveryStatus.Pending, stored.Status);
        Assert.Equal(due.ToUnixTimeMilliseconds(), stored.NextAttemptAt.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Prune_deletes_only_done_deliveries_completed_before_the_cutoff()
    {
        var store = Open();
        var oldDone = await Append(store, Delivery("old-done", "mr:1:1"));
        var dead = await Append(store, Delivery("dead", "mr:1:2"));
        await store.CompleteAsync((await store.ClaimNextAsync("w", Lease, CancellationToken.None))!, CancellationToken.None);
        await store.FailAsync((await store.ClaimNextAsync("w", Lease, CancellationToken.None))!, "boom", null, CancellationToken.None);
        Time.Advance(TimeSpan.FromDays(8));
        var recentDone = await Append(store, Delivery("recent-done", "mr:1:3"));
        await store.CompleteAsync((await store.ClaimNextAsync("w", Lease, CancellationToken.None))!, CancellationToken.None);
        var pending = await Append(store, Delivery("pending", "mr:1:4"));

        var pruned = await store.PruneAsync(Time.GetUtcNow() - TimeSpan.FromDays(7), CancellationToken.None);

        Assert.Equal(1, pruned);
        var left = (await store.ListAsync(null, CancellationToken.None)).Select(d => d.Id).ToList();
        Assert.DoesNotContain(oldDone, left);
        Assert.Equal([dead, recentDone, pending], left);
    }

    [Fact]
    public async Task List_filters_by_status_oldest_first()
    {
        var store = Open();
        var a = await Append(store, Delivery("a", "mr:1:1"));
        var b = await Append(store, Delivery("b", "mr:1:2"));
        var c = await Append(store, Delivery("c", "mr:1:3"));
        await store.ClaimNextAsync("w", Lease, CancellationToken.None);

        Assert.Equal([b, c], (await store.ListAsync(DeliveryStatus.Pending, CancellationToken.None)).Select(d => d.Id));
        Assert.Equal([a], (await store.ListAsync(DeliveryStatus.Processing, CancellationToken.None)).Select(d => d.Id));
        Assert.Empty(await store.ListAsync(DeliveryStatus.Done, CancellationToken.None));
    }

    [Fact]
    public async Task Ping_answers_true_when_the_store_is_up()
    {
        var store = Open();

        Assert.True(await store.PingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Deliveries_and_their_state_survive_reopening_the_store()
    {
        var store = Open();
        var pending = await Append(store, Delivery("a1", "mr:1:1", "payload"));
        var leased = await Append(store, Delivery("b1", "mr:1:2"));
        await store.FailAsync((await store.ClaimNextAsync("w", Lease, CancellationToken.None))!, "boom", Time.GetUtcNow() + Lease, CancellationToken.None);
        Assert.Equal("mr:1:2", (await store.ClaimNextAsync("w", Lease, CancellationToken.None))!.Subject);
        await CloseAsync(store);

        var reopened = Open();

        var all = await reopened.ListAsync(null, CancellationToken.None);
        Assert.Equal([pending, leased], all.Select(d => d.Id));
        Assert.Equal("payload", Encoding.UTF8.GetString(all[0].Body.Span));
        Assert.Equal(1, all[0].Attempts);
        Assert.Equal(DeliveryStatus.Processing, all[1].Status);
        var duplicate = await reopened.AppendAsync(Delivery("a1", "mr:1:1"), CancellationToken.None);
        Assert.True(duplicate.Duplicate);
        Assert.Equal(pending, duplicate.DeliveryId);
        Time.Advance(Lease * 2);
        var reclaimed = new List<string>();
        while (await reopened.ClaimNextAsync("w2", Lease, CancellationToken.None) is { } batch)
        {
            reclaimed.Add(batch.Subject);
        }
        Assert.Equal(["mr:1:1", "mr:1:2"], reclaimed);
    }

    [Fact]
    public async Task Release_puts_a_batch_back_pending_at_the_given_time_without_counting_an_attempt()
    {
        var store = Open();
        var id = await Append(store, Delivery("r1"));
        var batch = (await store.ClaimNextAsync("w", Lease, CancellationToken.None))!;
        var dueAt = Time.GetUtcNow() + TimeSpan.FromMinutes(10);

        await store.ReleaseAsync(batch, dueAt, "deferred: GitLab down", CancellationToken.None);

        var released = await Get(store, id);
        Assert.Equal(DeliveryStatus.Pending, released.Status);
        Assert.Equal(0, released.Attempts);
        Assert.Equal(dueAt, released.NextAttemptAt);
        Assert.Equal("deferred: GitLab down", released.LastError);
        Assert.Null(await store.ClaimNextAsync("w", Lease, CancellationToken.None));
        Assert.Equal(dueAt, await store.NextDueAsync(CancellationToken.None));
        Time.Advance(TimeSpan.FromMinutes(10));
        var again = await store.ClaimNextAsync("w2", Lease, CancellationToken.None);
        Assert.Equal(1, again!.Attempt);
    }

    [Fact]
    public async Task Release_now_makes_a_batch_claimable_at_once_and_keeps_the_last_error_without_a_reason()
    {
        var store = Open();
        var id = await Append(store, Delivery("r1"));
        await store.FailAsync((await store.ClaimNextAsync("w", Lease, CancellationToken.None))!, "boom", Time.GetUtcNow(), CancellationToken.None);
        var batch = (await store.ClaimNextAsync("w", Lease, CancellationToken.None))!;

        await store.ReleaseAsync(batch, Time.GetUtcNow(), reason: null, CancellationToken.None);

        var again = await store.ClaimNextAsync("w2", Lease, CancellationToken.None);
        Assert.Equal([id], again!.Deliveries.Select(d => d.Id));
        Assert.Equal(2, again.Attempt);
        Assert.Equal("boom", again.Deliveries.Single().LastError);
    }

    [Fact]
    public async Task Release_by_an_owner_that_lost_its_lease_leaves_the_new_owners_claim_alone()
    {
        var store = Open();
        var id = await Append(store, Delivery("r1"));
        var stale = (await store.ClaimNextAsync("w1", Lease, CancellationToken.None))!;
        Time.Advance(Lease * 2);
        Assert.NotNull(await store.ClaimNextAsync("w2", Lease, CancellationToken.None));

        await store.ReleaseAsync(stale, Time.GetUtcNow(), "stale", CancellationToken.None);

        Assert.Equal(DeliveryStatus.Processing, (await Get(store, id)).Status);
        Assert.Null(await store.ClaimNextAsync("w3", Lease, CancellationToken.None));
    }
}
