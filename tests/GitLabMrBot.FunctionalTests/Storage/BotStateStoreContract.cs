using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;

namespace GitLabMrBot.FunctionalTests.Storage;

/// <summary>
/// What every <see cref="IBotStateStore"/> provider must do. A provider's test class derives from this and only says
/// how to open its store (and its inbox) on this test's database; nothing here may depend on the provider.
/// </summary>
public abstract class BotStateStoreContract : IAsyncLifetime
{
    private readonly OpenedStores _opened = new();

    /// <summary>Opens a store on this test's database; every call opens the same, initially empty, one.</summary>
    protected abstract IBotStateStore OpenStore();

    /// <summary>Opens the inbox on the same database as <see cref="OpenStore"/>.</summary>
    protected abstract IInboxStore OpenInbox();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync() => await _opened.CloseAllAsync();

    private IBotStateStore Open() => _opened.Add(OpenStore());

    [Fact]
    public async Task Values_survive_a_new_store_on_the_same_database_and_are_replaced_by_set()
    {
        var first = Open();

        Assert.Null(await first.GetAsync("reviewers:1:2", CancellationToken.None));
        await first.SetAsync("reviewers:1:2", "one", CancellationToken.None);
        await first.SetAsync("reviewers:1:2", "two", CancellationToken.None);

        var reopened = Open();
        Assert.Equal("two", await reopened.GetAsync("reviewers:1:2", CancellationToken.None));
        Assert.Null(await reopened.GetAsync("reviewers:1:3", CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_increments_never_lose_a_turn()
    {
        var store = Open();

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(() => store.IncrementAsync("round-robin:1", 2, CancellationToken.None))));

        Assert.Equal(80, await store.IncrementAsync("round-robin:1", 0, CancellationToken.None));
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i * 2), results.Order());
    }

    [Fact]
    public async Task Increments_from_several_stores_on_one_database_share_the_counter()
    {
        // Several instances of the bot (several processes) take round-robin turns from one counter.
        var stores = Enumerable.Range(0, 4).Select(_ => Open()).ToList();

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => stores[i % stores.Count].IncrementAsync("round-robin:2", 1, CancellationToken.None))));

        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), results.Order());
        Assert.Equal("40", await stores[0].GetAsync("round-robin:2", CancellationToken.None));
    }

    [Fact]
    public async Task A_missing_counter_counts_from_zero_and_a_negative_delta_counts_down()
    {
        var store = Open();

        Assert.Equal(5, await store.IncrementAsync("counter", 5, CancellationToken.None));
        Assert.Equal(-2, await store.IncrementAsync("counter", -7, CancellationToken.None));
        Assert.Equal(-2, await Open().IncrementAsync("counter", 0, CancellationToken.None));
    }

    [Fact]
    public async Task Shares_the_inbox_database_without_disturbing_it()
    {
        var inbox = _opened.Add(OpenInbox());
        var state = Open();

        await state.SetAsync("k", "v", CancellationToken.None);
        var appended = await inbox.AppendAsync(
            new NewDelivery("key", "Merge Request Hook", "mr:1:1", null, DateTimeOffset.UnixEpoch, "{}"u8.ToArray()), CancellationToken.None);

        Assert.True(await inbox.PingAsync(CancellationToken.None));
        Assert.False(appended.Duplicate);
        Assert.Single(await inbox.ListAsync(null, CancellationToken.None));
        Assert.Equal("v", await state.GetAsync("k", CancellationToken.None));
    }
}
