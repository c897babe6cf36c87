using System.Text;
using System.Text.Json;
using GitLabMrBot.Configuration;
using GitLabMrBot.Inbox;
using GitLabMrBot.Policies;
using GitLabMrBot.Processing;
using GitLabMrBot.Processing.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace GitLabMrBot.UnitTests.Processing.Reconciliation;

public sealed class MergeabilityRechecksTests
{
    private static readonly DateTimeOffset Now = new(2025, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly RecheckOptions Settings = new() { FirstDelay = TimeSpan.FromSeconds(5), MaxDelay = TimeSpan.FromMinutes(1), MaxAttempts = 4 };

    private readonly IInboxStore _store = Substitute.For<IInboxStore>();
    private readonly List<NewDelivery> _appended = [];

    public MergeabilityRechecksTests()
    {
        _store.AppendAsync(Arg.Any<NewDelivery>(), Arg.Any<CancellationToken>())
            .Returns(call =>
            {
                _appended.Add(call.Arg<NewDelivery>());
                return new AppendResult("1", Duplicate: false);
            });
    }

    [Fact]
    public void Backoff_doubles_from_the_first_delay_and_stops_at_the_cap()
    {
        var delays = Enumerable.Range(1, 7).Select(a => MergeabilityRechecks.Delay(a, Settings)).ToList();

        Assert.Equal([5, 10, 20, 40, 60, 60, 60], delays.Select(d => d.TotalSeconds));
        Assert.Equal(TimeSpan.FromMinutes(1), MergeabilityRechecks.Delay(int.MaxValue, Settings));
    }

    [Fact]
    public async Task Unsettled_status_queues_the_next_recheck_durably_at_its_backoff()
    {
        var queued = await Rechecks().ScheduleIfUnsettledAsync(Snapshot("checking"), Config(withNeedsRebase: true), Context(recheckAttempt: 2), CancellationToken.None);

        Assert.True(queued);
        var delivery = Assert.Single(_appended);
        Assert.Equal("mr:3:4", delivery.Subject);
        Assert.Equal(ReconcileRequest.EventName, delivery.Event);
        Assert.Equal(Now + TimeSpan.FromSeconds(20), delivery.NotBefore);
        using var body = JsonDocument.Parse(Encoding.UTF8.GetString(delivery.Body.Span));
        Assert.Equal(3, body.RootElement.GetProperty("recheck_attempt").GetInt32());
        Assert.Equal("mergeability", body.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task The_count_is_bounded()
    {
        var queued = await Rechecks().ScheduleIfUnsettledAsync(Snapshot("checking"), Config(withNeedsRebase: true), Context(recheckAttempt: 4), CancellationToken.None);

        Assert.False(queued);
        Assert.Empty(_appended);
    }

    [Theory]
    [InlineData("conflict", true, "opened")]
    [InlineData("mergeable", true, "opened")]
    [InlineData("checking", false, "opened")]
    [InlineData("checking", true, "merged")]
    public async Task Settled_status_closed_mr_or_no_needs_rebase_label_queue_nothing(string status, bool withNeedsRebase, string state)
    {
        var queued = await Rechecks().ScheduleIfUnsettledAsync(Snapshot(status) with { State = state }, Config(withNeedsRebase), Context(0), CancellationToken.None);

        Assert.False(queued);
        Assert.Empty(_appended);
    }

    private MergeabilityRechecks Rechecks() => new(
        new ReconcileQueue(_store, new FakeTimeProvider(Now)),
        Options.Create(Settings),
        new FakeTimeProvider(Now),
        NullLogger<MergeabilityRechecks>.Instance);

    private static ReconcileContext Context(int recheckAttempt) => new(["17"], "uuid") { RecheckAttempt = recheckAttempt };

    private static MergeRequestSnapshot Snapshot(string status) => new()
    {
        ProjectId = 3, Iid = 4, Title = "t", SourceBranch = "s", TargetBranch = "main", State = "opened", DetailedMergeStatus = status,
    };

    private static CompiledConfig Config(bool withNeedsRebase)
    {
        var json = withNeedsRebase ? """{"needsRebase":{"label":"needs-rebase"}}""" : "{}";
        var result = PolicyConfigLoader.Load(json, "test");
        return result.Config!;
    }
}
