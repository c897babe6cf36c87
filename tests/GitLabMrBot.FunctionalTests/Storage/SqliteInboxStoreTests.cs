using System.Text;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace GitLabMrBot.FunctionalTests.Storage;

/// <summary>The SQLite provider against the store contract, plus what only SQLite has (file, WAL, group-commit failures).</summary>
public sealed class SqliteInboxStoreTests : InboxStoreContract, IDisposable
{
    private readonly TempDirectory _directory = new();

    private string DatabasePath => _directory.File("inbox.db");

    protected override IInboxStore OpenStore(TimeProvider time) => new SqliteInboxStore(DatabasePath, time);

    // xunit disposes after DisposeAsync, so the stores are closed before their files go.
    public void Dispose() => _directory.Dispose();

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private NewDelivery Delivery(string key) =>
        new(key, "Push Hook", "mr:1:1", null, Time.GetUtcNow(), Encoding.UTF8.GetBytes("{}"));

    [Fact]
    public void Opening_creates_the_file_in_wal_mode_with_a_schema_version()
    {
        Open();

        using var connection = Connect();
        Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode;"));
        Assert.Equal((long)SqliteInboxStore.SchemaVersion, Scalar(connection, "PRAGMA user_version;"));
    }

    [Fact]
    public async Task A_file_from_a_newer_schema_is_refused_with_a_clear_error()
    {
        await CloseAsync(Open());
        using (var connection = Connect())
        {
            Scalar(connection, $"PRAGMA user_version = {SqliteInboxStore.SchemaVersion + 1};");
        }

        var error = Assert.Throws<InboxUnavailableException>(Open);

        Assert.Contains("newer", error.Message);
    }

    [Fact]
    public async Task A_failed_group_commit_fails_its_callers_and_the_writer_keeps_going()
    {
        var store = Open();
        await store.AppendAsync(Delivery("before"), CancellationToken.None);
        using var connection = Connect();
        // The table vanishing under the writer is a commit failure no caller caused.
        Scalar(connection, "ALTER TABLE deliveries RENAME TO parked;");

        var failed = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => Assert.ThrowsAsync<InboxUnavailableException>(
            () => store.AppendAsync(Delivery($"lost-{i}"), CancellationToken.None))));

        Assert.All(failed, e => Assert.NotNull(e.InnerException));
        Scalar(connection, "ALTER TABLE parked RENAME TO deliveries;");
        var after = await store.AppendAsync(Delivery("after"), CancellationToken.None);
        Assert.False(after.Duplicate);
        Assert.Equal(["before", "after"], (await store.ListAsync(null, CancellationToken.None)).Select(d => d.DedupeKey));
    }

    [Fact]
    public async Task An_append_after_disposal_is_refused_as_unavailable()
    {
        var store = Open();
        await CloseAsync(store);

        await Assert.ThrowsAsync<InboxUnavailableException>(() => store.AppendAsync(Delivery("late"), CancellationToken.None));
        Assert.False(await store.PingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task An_unopenable_path_fails_with_a_message_naming_the_file()
    {
        var path = _directory.File("missing-dir/sub/inbox.db");

        var error = Assert.Throws<InboxUnavailableException>(() => new SqliteInboxStore(path, Time));

        Assert.Contains("missing-dir", error.Message);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_committed_append_pulses_the_signal()
    {
        var signal = new InboxSignal();
        var wake = signal.NextPulse;
        await using var store = new SqliteInboxStore(_directory.File("signal.db"), Time, signal);

        await store.AppendAsync(Delivery("k"), CancellationToken.None);

        Assert.True(wake.IsCompleted);
    }

    [Fact]
    public async Task Appends_reach_the_database_file_through_background_checkpoints()
    {
        var store = Open();
        var body = new byte[1024];
        var initial = new FileInfo(DatabasePath).Length;

        await Task.WhenAll(Enumerable.Range(0, 2500).Select(i => store.AppendAsync(
            new NewDelivery($"k{i}", "Push Hook", $"mr:1:{i % 10}", null, Time.GetUtcNow(), body), CancellationToken.None)));

        // The writer itself never checkpoints; the main file grows only if the checkpointer copied the WAL in.
        await Eventually.HoldsAsync(() => new FileInfo(DatabasePath).Length > initial + (1024 * 1024), "the WAL checkpointed into the file");
        Assert.Equal(2500, (await store.ListAsync(DeliveryStatus.Pending, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Expiring_orphaned_claims_frees_what_a_killed_process_left_and_counts_its_lost_attempt()
    {
        var killed = Open();
        await killed.AppendAsync(Delivery("k1"), CancellationToken.None);
        Assert.NotNull(await killed.ClaimNextAsync("killed/1", TimeSpan.FromMinutes(2), CancellationToken.None));
        await CloseAsync(killed);

        var next = Open();
        Assert.Null(await next.ClaimNextAsync("next/1", TimeSpan.FromSeconds(15), CancellationToken.None));
        Assert.Equal(1, await next.ExpireOrphanedClaimsAsync(CancellationToken.None));

        var batch = await next.ClaimNextAsync("next/1", TimeSpan.FromSeconds(15), CancellationToken.None);
        Assert.Equal(2, batch!.Attempt);
        Assert.Equal(GitLabMrBot.Storage.DeliveryRows.LeaseExpiredError, batch.Deliveries.Single().LastError);
    }

    [Fact]
    public async Task A_second_live_process_on_the_file_leaves_the_first_ones_claims_to_their_leases()
    {
        // Two bots started on one SQLite file by mistake: the second must not take the first's work from under it.
        var first = Open();
        Assert.Equal(0, await first.ExpireOrphanedClaimsAsync(CancellationToken.None));
        await first.AppendAsync(Delivery("k1"), CancellationToken.None);
        Assert.NotNull(await first.ClaimNextAsync("first/1", TimeSpan.FromMinutes(2), CancellationToken.None));

        var second = Open();
        Assert.Equal(0, await second.ExpireOrphanedClaimsAsync(CancellationToken.None));
        Assert.Null(await second.ClaimNextAsync("second/1", TimeSpan.FromSeconds(15), CancellationToken.None));

        // Once the first is gone, its lock goes with it and a starting process frees what it left.
        await CloseAsync(first);
        var third = Open();
        Assert.Equal(1, await third.ExpireOrphanedClaimsAsync(CancellationToken.None));
    }
}
