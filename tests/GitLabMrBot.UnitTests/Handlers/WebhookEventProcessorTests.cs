using System.Text;
using GitLabMrBot.Handlers;
using GitLabMrBot.Inbox;
using GitLabMrBot.Webhooks.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using NSubstitute;

namespace GitLabMrBot.UnitTests.Handlers;

public sealed class WebhookEventProcessorTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly IMergeRequestReconciler _reconciler = Substitute.For<IMergeRequestReconciler>();
    private readonly List<(MergeRequestRef MergeRequest, ReconcileContext Context)> _calls = [];

    public WebhookEventProcessorTests()
    {
        _reconciler
            .ReconcileAsync(Arg.Any<MergeRequestRef>(), Arg.Any<ReconcileContext>(), Arg.Any<CancellationToken>())
            .Returns(Task.CompletedTask)
            .AndDoes(call => _calls.Add((call.Arg<MergeRequestRef>(), call.Arg<ReconcileContext>())));
    }

    private WebhookEventProcessor CreateProcessor()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(_reconciler);
        services.AddHandlers();
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        return (WebhookEventProcessor)provider.GetRequiredService<IDeliveryProcessor>();
    }

    private static StoredDelivery Delivery(string id, string eventHeader, string json, string? eventUuid = null, int secondsAfterT0 = 0) =>
        new(id, "k:" + id, eventHeader, "subject", eventUuid, T0.AddSeconds(secondsAfterT0), Encoding.UTF8.GetBytes(json),
            DeliveryStatus.Processing, 0, T0, null);

    private static string MergeRequestJson(long projectId, long iid, string action = "update") =>
        $$$"""{"object_kind":"merge_request","project":{"id":{{{projectId}}}},"object_attributes":{"id":{{{iid + 1000}}},"iid":{{{iid}}},"action":"{{{action}}}","updated_at":"2025-01-01T00:00:00Z"}}""";

    private static string NoteJson(long projectId, long iid, string noteableType = "MergeRequest") =>
        $$$"""{"object_kind":"note","project_id":{{{projectId}}},"project":{"id":{{{projectId}}}},"object_attributes":{"id":5,"note":"hi","noteable_type":"{{{noteableType}}}"},"merge_request":{"id":9,"iid":{{{iid}}}}}""";

    private const string PushJson = """{"object_kind":"push","project_id":3,"ref":"refs/heads/main","after":"abc","commits":[]}""";

    [Fact]
    public async Task Burst_of_events_for_one_mr_is_reconciled_once_with_every_delivery_and_the_newest_uuid()
    {
        var batch = new ClaimedBatch("worker", "mr:42:7",
        [
            Delivery("d1", "Merge Request Hook", MergeRequestJson(42, 7, "open"), "uuid-1", 0),
            Delivery("d2", "Note Hook", NoteJson(42, 7), "uuid-2", 1),
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
    public async Task Distinct_mrs_of_a_batch_are_each_reconciled_once_in_order()
    {
        var batch = new ClaimedBatch("worker", "mixed",
        [
            Delivery("d1", "Merge Request Hook", MergeRequestJson(1, 1)),
            Delivery("d2", "Confidential Note Hook", NoteJson(2, 5)),
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
    public async Task Push_and_non_mr_notes_reconcile_nothing_yet()
    {
        var batch = new ClaimedBatch("worker", "push:3:refs/heads/main",
        [
            Delivery("d1", "Push Hook", PushJson),
            Delivery("d2", "System Hook", PushJson),
            Delivery("d3", "Note Hook", NoteJson(3, 1, "Issue")),
        ]);

        await CreateProcessor().ProcessAsync(batch, CancellationToken.None);

        Assert.Empty(_calls);
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
        services.AddHandlers();
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });

        Assert.IsType<LoggingMergeRequestReconciler>(provider.GetRequiredService<IMergeRequestReconciler>());
        await provider.GetRequiredService<IDeliveryProcessor>().ProcessAsync(
            new ClaimedBatch("worker", "mr:1:1", [Delivery("d1", "Merge Request Hook", MergeRequestJson(1, 1))]),
            CancellationToken.None);
    }
}
