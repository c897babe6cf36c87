using System.Text;
using System.Text.Json;
using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Inbox;
using GitLabMrBot.Processing;
using GitLabMrBot.Processing.Reconciliation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using NSubstitute;

namespace GitLabMrBot.UnitTests.Processing;

public sealed class WebhookEventProcessorTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly IMergeRequestReconciler _reconciler = Substitute.For<IMergeRequestReconciler>();
    private readonly List<(MergeRequestRef MergeRequest, ReconcileContext Context)> _calls = [];
    private readonly IGitLabDirectory _directory = Substitute.For<IGitLabDirectory>();
    private readonly IMergeRequestWriter _writer = Substitute.For<IMergeRequestWriter>();
    private readonly IInboxStore _store = Substitute.For<IInboxStore>();
    private readonly List<NewDelivery> _appended = [];

    private const long BotId = 99;
    private const long DeveloperId = 7;
    private const long GuestId = 8;

    public WebhookEventProcessorTests()
    {
        _reconciler
            .ReconcileAsync(Arg.Any<MergeRequestRef>(), Arg.Any<ReconcileContext>(), Arg.Any<CancellationToken>())
            .Returns(Task.CompletedTask)
            .AndDoes(call => _calls.Add((call.Arg<MergeRequestRef>(), call.Arg<ReconcileContext>())));
        _directory.GetCurrentUserAsync(Arg.Any<CancellationToken>()).Returns(new GitLabMrBot.GitLab.GitLabUser { Id = BotId, Username = "mrbot" });
        _directory.GetProjectMemberAsync(Arg.Any<long>(), DeveloperId, Arg.Any<CancellationToken>())
            .Returns(new GitLabMember { Id = DeveloperId, Username = "dev", AccessLevel = 30 });
        _directory.GetProjectMemberAsync(Arg.Any<long>(), GuestId, Arg.Any<CancellationToken>())
            .Returns(new GitLabMember { Id = GuestId, Username = "guest", AccessLevel = 10 });
        _store.AppendAsync(Arg.Any<NewDelivery>(), Arg.Any<CancellationToken>())
            .Returns(call =>
            {
                _appended.Add(call.Arg<NewDelivery>());
                return new AppendResult(_appended.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), Duplicate: false);
            });
    }

    private WebhookEventProcessor CreateProcessor()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(_reconciler);
        services.AddSingleton(_directory);
        services.AddSingleton(_writer);
        services.AddSingleton(_store);
        services.AddHandlers();
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        // The worker resolves the processor in the batch's scope.
        return (WebhookEventProcessor)provider.CreateScope().ServiceProvider.GetRequiredService<IDeliveryProcessor>();
    }

    private static StoredDelivery Delivery(string id, string eventHeader, string json, string? eventUuid = null, int secondsAfterT0 = 0) =>
        new(id, "k:" + id, eventHeader, "subject", eventUuid, T0.AddSeconds(secondsAfterT0), Encoding.UTF8.GetBytes(json),
            DeliveryStatus.Processing, 0, T0, null);

    private static string MergeRequestJson(long projectId, long iid, string action = "update") =>
        $$$"""{"object_kind":"merge_request","project":{"id":{{{projectId}}}},"object_attributes":{"id":{{{iid + 1000}}},"iid":{{{iid}}},"action":"{{{action}}}","updated_at":"2025-01-01T00:00:00Z"}}""";

    private static string NoteJson(long projectId, long iid, string noteableType = "MergeRequest", string note = "hi", long authorId = DeveloperId, bool system = false) =>
        $$$"""{"object_kind":"note","project_id":{{{projectId}}},"project":{"id":{{{projectId}}}},"object_attributes":{"id":5,"note":{{{JsonSerializer.Serialize(note)}}},"noteable_type":"{{{noteableType}}}","author_id":{{{authorId}}},"system":{{{(system ? "true" : "false")}}}},"merge_request":{"id":9,"iid":{{{iid}}}}}""";

    private static string RecheckNote(long projectId, long iid, long authorId = DeveloperId) => NoteJson(projectId, iid, note: "@mrbot recheck", authorId: authorId);

    private const string PushJson = """{"object_kind":"push","project_id":3,"ref":"refs/heads/main","after":"abc","commits":[]}""";

    [Fact]
    public async Task Burst_of_events_for_one_mr_is_reconciled_once_with_every_delivery_and_the_newest_uuid()
    {
        var batch = new ClaimedBatch("worker", "mr:42:7",
        [
            Delivery("d1", "Merge Request Hook", MergeRequestJson(42, 7, "open"), "uuid-1", 0),
            Delivery("d2", "Note Hook", RecheckNote(42, 7), "uuid-2", 1),
            Delivery("d3", "Merge Request Hook", MergeRequestJson(42, 7), null, 2),
            Delivery("d4", "System Hook", MergeRequestJson(42, 7), "uuid-4", 3),
        ]);

        await CreateProcessor().ProcessAsync(batch, CancellationToken.None);

        var call = Assert.Single(_calls);
        Assert.Equal(new MergeRequestRef(42, 7), call.MergeRequest);
        Assert.Equal(["d1", "d2", "d3", "d4"], call.Context.DeliveryIds);
        Assert.Equal("uuid-4", call.Context.EventUuid);
    }

    [Fact]
    public async Task In_an_MRs_batch_only_the_newest_merge_request_event_is_read()
    {
        // The older events are superseded triggers: an unreadable one must not fail the batch, because it is never read.
        var batch = new ClaimedBatch("worker", "mr:42:7",
        [
            Delivery("d1", "Merge Request Hook", "{ not json", "uuid-1", 0),
            Delivery("d2", "Merge Request Hook", MergeRequestJson(42, 7), "uuid-2", 1),
        ]);

        await CreateProcessor().ProcessAsync(batch, CancellationToken.None);

        var call = Assert.Single(_calls);
        Assert.Equal(new MergeRequestRef(42, 7), call.MergeRequest);
        Assert.Equal(["d1", "d2"], call.Context.DeliveryIds);
        Assert.Equal("uuid-2", call.Context.EventUuid);
    }

    [Fact]
    public async Task Distinct_mrs_of_a_batch_are_each_reconciled_once_in_order()
    {
        var batch = new ClaimedBatch("worker", "mixed",
        [
            Delivery("d1", "Merge Request Hook", MergeRequestJson(1, 1)),
            Delivery("d2", "Confidential Note Hook", RecheckNote(2, 5)),
            Delivery("d3", "Merge Request Hook", MergeRequestJson(1, 1)),
        ]);

        await CreateProcessor().ProcessAsync(batch, CancellationToken.None);

        Assert.Equal([new MergeRequestRef(1, 1), new MergeRequestRef(2, 5)], _calls.Select(c => c.MergeRequest));
        Assert.Equal(["d1", "d3"], _calls[0].Context.DeliveryIds);
        Assert.Equal(["d2"], _calls[1].Context.DeliveryIds);
    }

    [Fact]
    public async Task Newest_event_uuid_wins_even_when_an_older_delivery_comes_later_in_the_batch()
    {
        var batch = new ClaimedBatch("worker", "mr:1:1",
        [
            Delivery("d1", "Merge Request Hook", MergeRequestJson(1, 1), "newer", 10),
            Delivery("d2", "Merge Request Hook", MergeRequestJson(1, 1), "older", 5),
        ]);

        await CreateProcessor().ProcessAsync(batch, CancellationToken.None);

        Assert.Equal("newer", Assert.Single(_calls).Context.EventUuid);
    }

    [Fact]
    public async Task Push_queues_each_open_mr_from_or_into_the_branch_as_mr_work_and_reconciles_nothing_itself()
    {
        _directory.ListMergeRequestsAsync(3, Arg.Is<MergeRequestFilter>(f => f.SourceBranch == "main" && f.State == "opened"), Arg.Any<CancellationToken>())
            .Returns([new GitLabMrBot.GitLab.GitLabMergeRequest { Id = 100, Iid = 1 }]);
        _directory.ListMergeRequestsAsync(3, Arg.Is<MergeRequestFilter>(f => f.TargetBranch == "main" && f.State == "opened"), Arg.Any<CancellationToken>())
            .Returns([new GitLabMrBot.GitLab.GitLabMergeRequest { Id = 100, Iid = 1 }, new GitLabMrBot.GitLab.GitLabMergeRequest { Id = 102, Iid = 2 }]);
        var batch = new ClaimedBatch("worker", "push:3:refs/heads/main", [Delivery("d1", "Push Hook", PushJson, "push-uuid")]);

        await CreateProcessor().ProcessAsync(batch, CancellationToken.None);

        Assert.Empty(_calls);
        Assert.Equal(["mr:3:1", "mr:3:2"], _appended.Select(d => d.Subject));
        Assert.All(_appended, d => Assert.Equal(ReconcileRequest.EventName, d.Event));
        Assert.All(_appended, d => Assert.Equal("push-uuid", d.EventUuid));
        Assert.All(_appended, d => Assert.Null(d.NotBefore));
        Assert.Equal(2, _appended.Select(d => d.DedupeKey).Distinct().Count());
    }

    [Theory]
    [InlineData("refs/tags/v1.0", "abc")]
    [InlineData("refs/heads/main", "0000000000000000000000000000000000000000")]
    [InlineData("refs/heads/main", "0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task Tag_pushes_and_branch_deletions_cost_no_api_call_and_queue_nothing(string gitRef, string after)
    {
        var json = $$"""{"object_kind":"push","project_id":3,"ref":"{{gitRef}}","after":"{{after}}","commits":[]}""";
        var batch = new ClaimedBatch("worker", "push:3:" + gitRef, [Delivery("d1", "Push Hook", json), Delivery("d2", "System Hook", json)]);

        await CreateProcessor().ProcessAsync(batch, CancellationToken.None);

        Assert.Empty(_calls);
        Assert.Empty(_appended);
        Assert.Empty(_directory.ReceivedCalls());
    }

    [Fact]
    public async Task Reconcile_requests_join_the_batch_and_carry_their_recheck_attempt_only_when_alone()
    {
        var recheck = Delivery("r1", ReconcileRequest.EventName, """{"project_id":4,"iid":9,"reason":"mergeability","recheck_attempt":3}""");
        var sweep = Delivery("s1", ReconcileRequest.EventName, """{"project_id":4,"iid":9,"reason":"sweep"}""");

        await CreateProcessor().ProcessAsync(new ClaimedBatch("worker", "mr:4:9", [recheck]), CancellationToken.None);
        await CreateProcessor().ProcessAsync(new ClaimedBatch("worker", "mr:4:9", [recheck, sweep]), CancellationToken.None);

        Assert.Equal(2, _calls.Count);
        Assert.All(_calls, c => Assert.Equal(new MergeRequestRef(4, 9), c.MergeRequest));
        Assert.Equal(3, _calls[0].Context.RecheckAttempt);
        // Anything else about the MR is news: the re-check count starts afresh.
        Assert.Equal(0, _calls[1].Context.RecheckAttempt);
        Assert.Equal(["r1", "s1"], _calls[1].Context.DeliveryIds);
    }

    [Fact]
    public async Task Non_command_system_own_guest_quoted_and_non_mr_notes_reconcile_nothing()
    {
        var batch = new ClaimedBatch("worker", "mr:3:1",
        [
            Delivery("d1", "Note Hook", NoteJson(3, 1, "Issue")),
            Delivery("d2", "Note Hook", NoteJson(3, 1, note: "Looks good to me, @alice")),
            Delivery("d3", "Note Hook", NoteJson(3, 1, note: "@mrbot recheck", system: true)),
            Delivery("d4", "Note Hook", NoteJson(3, 1, note: "@mrbot recheck", authorId: BotId)),
            Delivery("d5", "Note Hook", RecheckNote(3, 1, authorId: GuestId)),
            Delivery("d6", "Note Hook", NoteJson(3, 1, note: "> @mrbot recheck\n\n`@mrbot recheck`")),
        ]);

        await CreateProcessor().ProcessAsync(batch, CancellationToken.None);

        Assert.Empty(_calls);
        Assert.Empty(_writer.ReceivedCalls());
    }

    [Fact]
    public async Task Help_from_a_developer_replies_through_an_upsert_marked_with_the_note_id()
    {
        _writer.UpsertMarkedNoteAsync(Arg.Any<MergeRequestRef>(), Arg.Any<string>(), Arg.Any<string>(), Arg.Any<CancellationToken>())
            .Returns(new NoteUpsertResult(new GitLabNote { Id = 1 }, NoteUpsertOutcome.Created));
        var batch = new ClaimedBatch("worker", "mr:3:1", [Delivery("d1", "Note Hook", NoteJson(3, 1, note: "@MrBot help please"))]);

        await CreateProcessor().ProcessAsync(batch, CancellationToken.None);

        Assert.Empty(_calls);
        await _writer.Received(1).UpsertMarkedNoteAsync(
            new MergeRequestRef(3, 1), CommandReplies.HelpMarker(5), Arg.Is<string>(b => b.Contains("@mrbot recheck", StringComparison.Ordinal)), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Unreadable_payload_throws_so_the_worker_retries_it()
    {
        var batch = new ClaimedBatch("worker", "mr:1:1",
        [
            Delivery("good", "Merge Request Hook", MergeRequestJson(1, 1)),
            Delivery("bad", "Merge Request Hook", """{"object_kind":"merge_request","project":{"id":1}}"""),
        ]);

        var error = await Assert.ThrowsAsync<WebhookPayloadException>(() => CreateProcessor().ProcessAsync(batch, CancellationToken.None));

        Assert.Contains("bad", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(MergeRequestEvent), error.Message, StringComparison.Ordinal);
        Assert.Empty(_calls);
    }

    [Fact]
    public async Task Truncated_payload_throws()
    {
        var batch = new ClaimedBatch("worker", "mr:1:1", [Delivery("bad", "Note Hook", """{"object_kind":"note","proj""")]);

        await Assert.ThrowsAsync<WebhookPayloadException>(() => CreateProcessor().ProcessAsync(batch, CancellationToken.None));
    }

    [Fact]
    public async Task Unknown_stored_event_is_skipped_not_failed()
    {
        var batch = new ClaimedBatch("worker", "x",
        [
            Delivery("d1", "Issue Hook", """{"object_kind":"issue"}"""),
            Delivery("d2", "Merge Request Hook", MergeRequestJson(8, 2)),
        ]);

        await CreateProcessor().ProcessAsync(batch, CancellationToken.None);

        Assert.Equal(new MergeRequestRef(8, 2), Assert.Single(_calls).MergeRequest);
    }

    [Fact]
    public async Task Handlers_run_in_a_scope_and_the_default_reconciler_only_logs()
    {
        var services = new ServiceCollection();
        services.AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>));
        services.AddSingleton(_directory);
        services.AddSingleton(_writer);
        services.AddSingleton(_store);
        services.AddHandlers();
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });

        Assert.IsType<LoggingMergeRequestReconciler>(provider.GetRequiredService<IMergeRequestReconciler>());
        // The processor and its scoped handlers live in the scope the worker opens for each batch, never at the root.
        Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IDeliveryProcessor>());
        await using var scope = provider.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IDeliveryProcessor>().ProcessAsync(
            new ClaimedBatch("worker", "mr:1:1", [Delivery("d1", "Merge Request Hook", MergeRequestJson(1, 1))]),
            CancellationToken.None);
    }
}
