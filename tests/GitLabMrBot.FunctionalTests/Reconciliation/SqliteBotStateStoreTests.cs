using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.Inbox;
using GitLabMrBot.Reconciliation.State;

namespace GitLabMrBot.FunctionalTests.Reconciliation;

public sealed class SqliteBotStateStoreTests
{
    [Fact]
    public async Task Values_survive_a_new_store_on_the_same_file_and_are_replaced_by_set()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "mrbot.db");
        var first = new SqliteBotStateStore(path, TimeProvider.System);

        Assert.Null(await first.GetAsync("reviewers:1:2", CancellationToken.None));
        await first.SetAsync("reviewers:1:2", "one", CancellationToken.None);
        await first.SetAsync("reviewers:1:2", "two", CancellationToken.None);

        var reopened = new SqliteBotStateStore(path, TimeProvider.System);
        Assert.Equal("two", await reopened.GetAsync("reviewers:1:2", CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_increments_never_lose_a_turn()
    {
        using var dir = new TempDirectory();
        var store = new SqliteBotStateStore(Path.Combine(dir.Path, "mrbot.db"), TimeProvider.System);

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(() => store.IncrementAsync("round-robin:1", 2, CancellationToken.None))));

        Assert.Equal(80, await store.IncrementAsync("round-robin:1", 0, CancellationToken.None));
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i * 2), results.Order());
    }

    [Fact]
    public async Task Shares_the_inbox_file_without_disturbing_it()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "mrbot.db");
        await using var inbox = new SqliteInboxStore(path, TimeProvider.System);
        var state = new SqliteBotStateStore(path, TimeProvider.System);

        await state.SetAsync("k", "v", CancellationToken.None);

        Assert.True(await inbox.PingAsync(CancellationToken.None));
        Assert.Equal("v", await state.GetAsync("k", CancellationToken.None));
    }
}
