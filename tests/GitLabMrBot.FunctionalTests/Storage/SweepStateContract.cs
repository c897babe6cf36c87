using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;

namespace GitLabMrBot.FunctionalTests.Storage;

/// <summary>
/// What every <see cref="ISweepState"/> provider must do. A provider's test class derives from this and only says
/// how to open its state (and its inbox) on this test's database; nothing here may depend on the provider.
/// </summary>
public abstract class SweepStateContract : IAsyncLifetime
{
    private readonly OpenedStores _opened = new();

    /// <summary>Opens the sweep state on this test's database; every call opens the same, initially empty, one.</summary>
    protected abstract ISweepState OpenState();

    /// <summary>Opens the inbox on the same database as <see cref="OpenState"/>.</summary>
    protected abstract IInboxStore OpenInbox();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync() => await _opened.CloseAllAsync();

    private ISweepState Open() => _opened.Add(OpenState());

    [Fact]
    public async Task Nothing_is_known_before_the_first_sweep()
    {
        var state = Open();

        Assert.Empty(await state.KnownProjectsAsync(CancellationToken.None));
        Assert.Null(await state.LastSweepAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Remembered_projects_are_listed_once_in_order_and_survive_a_new_state_on_the_same_database()
    {
        var first = Open();
        await first.RememberProjectsAsync([5, 3, 5], CancellationToken.None);
        await first.RememberProjectsAsync([3, 9], CancellationToken.None);

        var reopened = Open();
        Assert.Equal([3L, 5L, 9L], await reopened.KnownProjectsAsync(CancellationToken.None));

        // The reopened state has not written 5 itself: remembering it again must not duplicate or fail.
        await reopened.RememberProjectsAsync([5, 11], CancellationToken.None);
        Assert.Equal([3L, 5L, 9L, 11L], await first.KnownProjectsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Several_states_remembering_overlapping_projects_at_once_keep_each_project_once()
    {
        // Several instances of the bot see events of the same projects at the same time.
        var states = Enumerable.Range(0, 4).Select(_ => Open()).ToList();

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() =>
            states[i % states.Count].RememberProjectsAsync([.. Enumerable.Range(i, 10).Select(p => (long)p)], CancellationToken.None))));

        Assert.Equal(Enumerable.Range(0, 29).Select(p => (long)p), await states[0].KnownProjectsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_last_sweep_time_is_kept_to_the_millisecond_and_replaced_by_the_next()
    {
        var state = Open();
        var first = new DateTimeOffset(2025, 3, 1, 12, 0, 0, 123, TimeSpan.Zero);
        var second = first.AddHours(6);

        await state.SetLastSweepAsync(first, CancellationToken.None);
        Assert.Equal(first, await Open().LastSweepAsync(CancellationToken.None));

        await state.SetLastSweepAsync(second, CancellationToken.None);
        Assert.Equal(second, await Open().LastSweepAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Shares_the_inbox_database_without_disturbing_it()
    {
        var inbox = _opened.Add(OpenInbox());
        var state = Open();

        await state.RememberProjectsAsync([42], CancellationToken.None);
        var appended = await inbox.AppendAsync(
            new NewDelivery("key", "Merge Request Hook", "mr:42:1", null, DateTimeOffset.UnixEpoch, "{}"u8.ToArray()), CancellationToken.None);

        Assert.True(await inbox.PingAsync(CancellationToken.None));
        Assert.False(appended.Duplicate);
        Assert.Single(await inbox.ListAsync(null, CancellationToken.None));
        Assert.Equal([42L], await state.KnownProjectsAsync(CancellationToken.None));
    }
}
