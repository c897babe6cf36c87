using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;

namespace GitLabMrBot.FunctionalTests.Storage;

/// <summary>
/// What both providers promise the operator (issue 13): dead letters re-queued once and dropped (<see cref="IInboxAdmin"/>),
/// the backlog counted, and the decision log kept to its bounds (<see cref="IDecisionLog"/>). A provider's class only says
/// how to open its stores on this test's database.
/// </summary>
public abstract class OperatorStoreContract : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private readonly OpenedStores _opened = new();

    /// <summary>The inbox (which is also its <see cref="IInboxAdmin"/>) on this test's database.</summary>
    protected abstract IInboxStore OpenInbox(TimeProvider time);

    protected abstract IDecisionLog OpenDecisionLog();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync() => await _opened.CloseAllAsync();

    protected T Opened<T>(T store)
        where T : notnull => _opened.Add(store);

    private IInboxStore Inbox() => Opened(OpenInbox(TimeProvider.System));

    private static async Task<string> DeadLetterAsync(IInboxStore inbox, string key, string subject = "mr:1:2")
    {
        var appended = await inbox.AppendAsync(new NewDelivery(key, "Merge Request Hook", subject, null, DateTimeOffset.UtcNow, "{}"u8.ToArray()), CancellationToken.None);
        var batch = await inbox.ClaimNextAsync("test", Lease, CancellationToken.None);
        Assert.NotNull(batch);
        await inbox.FailAsync(batch, "GitLab PUT answered 422", retryAt: null, CancellationToken.None);
        return appended.DeliveryId;
    }

    [Fact]
    public async Task The_newest_dead_letters_are_listed_first_up_to_the_limit_without_their_bodies()
    {
        var inbox = Inbox();
        var admin = (IInboxAdmin)inbox;
        var first = await DeadLetterAsync(inbox, "k1", "mr:1:1");
        var second = await DeadLetterAsync(inbox, "k2", "mr:1:2");
        var third = await DeadLetterAsync(inbox, "k3", "mr:1:3");
        await inbox.AppendAsync(new NewDelivery("k4", "Merge Request Hook", "mr:1:4", null, DateTimeOffset.UtcNow, "{}"u8.ToArray()), CancellationToken.None);

        var listed = await admin.ListDeadAsync(2, CancellationToken.None);

        Assert.Equal([third, second], listed.Select(d => d.Id));
        Assert.All(listed, d => Assert.Empty(d.Body.ToArray()));
        Assert.All(listed, d => Assert.Equal("GitLab PUT answered 422", d.LastError));
        Assert.Equal([third, second, first], (await admin.ListDeadAsync(10, CancellationToken.None)).Select(d => d.Id));
    }

    [Fact]
    public async Task Item6_a_dead_letter_is_requeued_pending_due_now_with_attempts_reset_and_is_claimed_again()
    {
        var inbox = Inbox();
        var admin = (IInboxAdmin)inbox;
        var id = await DeadLetterAsync(inbox, "k1");
        Assert.Null(await inbox.ClaimNextAsync("test", Lease, CancellationToken.None));

        var retried = await admin.RetryAsync(id, CancellationToken.None);

        Assert.True(retried.Requeued);
        Assert.Equal(DeliveryStatus.Pending, retried.Delivery!.Status);
        Assert.Equal(0, retried.Delivery.Attempts);
        Assert.True(retried.Delivery.NextAttemptAt <= DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal("GitLab PUT answered 422", retried.Delivery.LastError);
        var again = await inbox.ClaimNextAsync("test", Lease, CancellationToken.None);
        Assert.Equal([id], again!.Deliveries.Select(d => d.Id));
        Assert.Equal(1, again.Attempt);
    }

    [Fact]
    public async Task Item6_retrying_a_pending_in_flight_or_done_delivery_changes_nothing_and_answers_its_state()
    {
        var inbox = Inbox();
        var admin = (IInboxAdmin)inbox;
        var id = await DeadLetterAsync(inbox, "k1");
        Assert.True((await admin.RetryAsync(id, CancellationToken.None)).Requeued);

        var twice = await admin.RetryAsync(id, CancellationToken.None);
        var batch = await inbox.ClaimNextAsync("test", Lease, CancellationToken.None);
        var inFlight = await admin.RetryAsync(id, CancellationToken.None);
        await inbox.CompleteAsync(batch!, CancellationToken.None);
        var done = await admin.RetryAsync(id, CancellationToken.None);

        Assert.False(twice.Requeued);
        Assert.Equal(DeliveryStatus.Pending, twice.Delivery!.Status);
        Assert.False(inFlight.Requeued);
        Assert.Equal(DeliveryStatus.Processing, inFlight.Delivery!.Status);
        Assert.False(done.Requeued);
        Assert.Equal(DeliveryStatus.Done, done.Delivery!.Status);
        Assert.Equal(DeliveryStatus.Done, (await admin.GetAsync(id, CancellationToken.None))!.Status);
        Assert.Null((await admin.RetryAsync("999999", CancellationToken.None)).Delivery);
        Assert.Null((await admin.RetryAsync("not-a-number", CancellationToken.None)).Delivery);
    }

    [Fact]
    public async Task Item6_drop_deletes_a_dead_letter_refuses_a_waiting_delivery_and_knows_no_unknown_one()
    {
        var inbox = Inbox();
        var admin = (IInboxAdmin)inbox;
        var dead = await DeadLetterAsync(inbox, "k1");
        var waiting = (await inbox.AppendAsync(new NewDelivery("k2", "Note Hook", "mr:1:3", null, DateTimeOffset.UtcNow, "{}"u8.ToArray()), CancellationToken.None)).DeliveryId;

        var dropped = await admin.DropAsync(dead, CancellationToken.None);
        var refused = await admin.DropAsync(waiting, CancellationToken.None);
        var unknown = await admin.DropAsync(dead, CancellationToken.None);

        Assert.Equal(DropOutcome.Dropped, dropped.Outcome);
        Assert.Null(await admin.GetAsync(dead, CancellationToken.None));
        Assert.Equal(new DropResult(DropOutcome.Refused, DeliveryStatus.Pending), refused);
        Assert.NotNull(await admin.GetAsync(waiting, CancellationToken.None));
        Assert.Equal(DropOutcome.NotFound, unknown.Outcome);
    }

    [Fact]
    public async Task Item4_the_backlog_counts_waiting_deliveries_since_the_oldest_and_dead_letters()
    {
        var inbox = Inbox();
        var admin = (IInboxAdmin)inbox;
        Assert.Equal(new InboxAdminBacklog(0, null, 0), await admin.BacklogAsync(CancellationToken.None));

        await DeadLetterAsync(inbox, "k1");
        var oldest = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await inbox.AppendAsync(new NewDelivery("k2", "Note Hook", "mr:1:3", null, oldest, "{}"u8.ToArray()), CancellationToken.None);
        await inbox.AppendAsync(new NewDelivery("k3", "Note Hook", "mr:1:4", null, oldest.AddMinutes(1), "{}"u8.ToArray()), CancellationToken.None);

        Assert.Equal(new InboxAdminBacklog(2, oldest, 1), await admin.BacklogAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Item5_the_decision_log_keeps_the_newest_records_of_each_MR_drops_old_ones_and_knows_project_paths()
    {
        var log = Opened(OpenDecisionLog());
        var start = DateTimeOffset.UtcNow.AddDays(-40);
        for (var i = 0; i < 5; i++)
        {
            await log.AppendAsync(Record(1, 2, start.AddDays(i * 10), $"run {i}"), keepPerMergeRequest: 3, keepAfter: start, CancellationToken.None);
        }
        await log.AppendAsync(Record(1, 3, start.AddDays(35), "other MR"), keepPerMergeRequest: 3, keepAfter: start, CancellationToken.None);

        var kept = await log.ListAsync(1, 2, 10, CancellationToken.None);
        Assert.Equal(["run 4", "run 3", "run 2"], kept.Select(r => r.Detail));
        Assert.All(kept, r => Assert.True(r.Id > 0));
        Assert.Equal([new DecisionTrigger("7", "Merge Request Hook")], kept[0].Triggers);
        Assert.Equal([new DecisionWrite("PUT merge request: add labels backend", "200 OK: labels now [backend]")], kept[0].Writes);
        Assert.Equal(2, (await log.ListAsync(1, 2, 2, CancellationToken.None)).Count);

        // Older than the retention: gone at the next write, whichever MR it is for.
        await log.AppendAsync(Record(1, 3, start.AddDays(36), "later"), keepPerMergeRequest: 3, keepAfter: start.AddDays(25), CancellationToken.None);
        Assert.Equal(["run 4", "run 3"], (await log.ListAsync(1, 2, 10, CancellationToken.None)).Select(r => r.Detail));

        Assert.Equal(1, await log.FindProjectIdAsync("Acme/Platform", CancellationToken.None));
        Assert.Null(await log.FindProjectIdAsync("acme/other", CancellationToken.None));
    }

    [Fact]
    public async Task Item8_the_recent_evaluations_of_every_MR_come_newest_first_up_to_the_limit()
    {
        var log = Opened(OpenDecisionLog());
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        await log.AppendAsync(Record(1, 2, start, "a"), 20, start.AddDays(-1), CancellationToken.None);
        await log.AppendAsync(Record(1, 3, start.AddMinutes(1), "b"), 20, start.AddDays(-1), CancellationToken.None);
        await log.AppendAsync(Record(4, 2, start.AddMinutes(2), "c"), 20, start.AddDays(-1), CancellationToken.None);
        await log.AppendAsync(Record(1, 2, start.AddMinutes(3), "d"), 20, start.AddDays(-1), CancellationToken.None);

        Assert.Equal(["d", "c", "b"], (await log.ListRecentAsync(3, CancellationToken.None)).Select(r => r.Detail));
        Assert.Equal(["d", "c", "b", "a"], (await log.ListRecentAsync(50, CancellationToken.None)).Select(r => r.Detail));
        Assert.Equal([(1L, 2L), (4L, 2L)], (await log.ListRecentAsync(2, CancellationToken.None)).Select(r => (r.ProjectId, r.Iid)));
    }

    [Fact]
    public async Task Item5_a_record_is_bounded_however_large_the_evaluation()
    {
        var log = Opened(OpenDecisionLog());
        var huge = Record(1, 2, DateTimeOffset.UtcNow, new string('x', 10_000)) with
        {
            Changes = [.. Enumerable.Range(0, 500).Select(i => new DecisionChange("label+", $"l{i}", new string('r', 5000)))],
        };

        await log.AppendAsync(huge, 20, DateTimeOffset.UtcNow.AddDays(-1), CancellationToken.None);

        var stored = Assert.Single(await log.ListAsync(1, 2, 10, CancellationToken.None));
        Assert.Equal(DecisionRecord.Bounds.Items, stored.Changes.Count);
        Assert.True(stored.Detail!.Length <= DecisionRecord.Bounds.Text + 1);
        Assert.All(stored.Changes, c => Assert.True(c.Why.Length <= DecisionRecord.Bounds.Text + 1));
    }

    private static DecisionRecord Record(long project, long iid, DateTimeOffset at, string detail) => new()
    {
        ProjectId = project,
        Iid = iid,
        ProjectPath = "acme/platform",
        StartedAt = at,
        DurationMs = 12.5,
        Outcome = DecisionOutcomes.Changed,
        Detail = detail,
        Triggers = [new DecisionTrigger("7", "Merge Request Hook")],
        Changes = [new DecisionChange("label+", "backend", "backend: src/api/x.cs")],
        Writes = [new DecisionWrite("PUT merge request: add labels backend", "200 OK: labels now [backend]")],
    };
}

/// <summary>The SQLite provider against the operator contract, in one bot file.</summary>
public sealed class SqliteOperatorStoreTests : OperatorStoreContract, IDisposable
{
    private readonly GitLabMrBot.FunctionalTests.Inbox.TempDirectory _directory = new();
    private GitLabMrBot.Storage.Sqlite.SqliteDatabase? _database;

    private GitLabMrBot.Storage.Sqlite.SqliteDatabase Database =>
        _database ??= new GitLabMrBot.Storage.Sqlite.SqliteDatabase(_directory.File("mrbot.db"), TimeProvider.System);

    protected override IInboxStore OpenInbox(TimeProvider time) => new GitLabMrBot.Storage.Sqlite.SqliteInboxStore(Database);

    protected override IDecisionLog OpenDecisionLog() => new GitLabMrBot.Storage.Sqlite.SqliteDecisionLog(Database);

    // xunit disposes after DisposeAsync: the views are closed, then their database, then its folder.
    public void Dispose()
    {
        _database?.Dispose();
        _directory.Dispose();
    }
}

/// <summary>The PostgreSQL provider against the operator contract, in its own schema.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresOperatorStoreTests(PostgresServer server) : OperatorStoreContract
{
    private readonly PostgresTestSchema _schema = new(server);
    private GitLabMrBot.Storage.Postgres.PostgresDatabase? _database;

    private GitLabMrBot.Storage.Postgres.PostgresDatabase Database =>
        _database ??= new GitLabMrBot.Storage.Postgres.PostgresDatabase(_schema.ConnectionString);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await _schema.CreateAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
        await _schema.DropAsync();
    }

    protected override IInboxStore OpenInbox(TimeProvider time) => new GitLabMrBot.Storage.Postgres.PostgresInboxStore(Database, time);

    protected override IDecisionLog OpenDecisionLog() => new GitLabMrBot.Storage.Postgres.PostgresDecisionLog(Database);
}
