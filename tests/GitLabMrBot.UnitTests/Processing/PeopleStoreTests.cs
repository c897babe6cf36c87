using System.Globalization;
using GitLabMrBot.Events;
using GitLabMrBot.Policies.Reviewers;
using GitLabMrBot.Processing.Reconciliation;
using GitLabMrBot.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace GitLabMrBot.UnitTests.Processing;

/// <summary>An in-memory <see cref="IBotStateStore"/> that remembers every call, for the people tests.</summary>
internal sealed class MemoryStateStore : IBotStateStore
{
    public Dictionary<string, string> Values { get; } = [];
    public List<string> Calls { get; } = [];

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        Calls.Add($"get {key}");
        return Task.FromResult(Values.GetValueOrDefault(key));
    }

    public Task SetAsync(string key, string value, CancellationToken cancellationToken)
    {
        Calls.Add($"set {key}");
        Values[key] = value;
        return Task.CompletedTask;
    }

    public Task<long> IncrementAsync(string key, long delta, CancellationToken cancellationToken)
    {
        Calls.Add($"increment {key} by {delta}");
        var value = (Values.TryGetValue(key, out var text) ? long.Parse(text, CultureInfo.InvariantCulture) : 0) + delta;
        Values[key] = value.ToString(CultureInfo.InvariantCulture);
        return Task.FromResult(value);
    }
}

public sealed class PeopleStoreTests
{
    private static readonly MergeRequestRef Mr = new(7, 42);
    private static readonly PeopleDecision Bob = new([new PersonPick("bob", 2, ["policy api"])], [new PassedOver("carol", PassedOverReason.Away, "status is busy")]);

    private readonly MemoryStateStore _state = new();
    private readonly PeopleStore _store;

    public PeopleStoreTests() => _store = new PeopleStore(_state, NullLogger<PeopleStore>.Instance);

    [Fact]
    public async Task Decisions_to_save_are_stored_per_MR_in_the_format_earlier_versions_wrote()
    {
        await _store.SaveAsync(Mr, new PeopleOutcome { ReviewersToSave = Bob, AssigneesToSave = new PeopleDecision([new PersonPick("alice", 1, ["policy api: the author"])], []) }, CancellationToken.None);

        // Stored decisions outlive upgrades: the key and the JSON shape must not drift.
        Assert.Equal(
            """{"picks":[{"username":"bob","id":2,"why":["policy api"]}],"passedOver":[{"username":"carol","reason":"Away","detail":"status is busy"}],"applied":false}""",
            _state.Values["reviewers:7:42"]);
        Assert.Equal(
            """{"picks":[{"username":"alice","id":1,"why":["policy api: the author"]}],"passedOver":[],"applied":false}""",
            _state.Values["assignees:7:42"]);
        var back = await _store.ReviewersAsync(Mr, CancellationToken.None);
        var pick = Assert.Single(back!.Picks);
        Assert.Equal(("bob", 2L, "policy api"), (pick.Username, pick.Id, Assert.Single(pick.Why)));
        Assert.Equal(Bob.PassedOver, back.PassedOver);
        Assert.False(back.Applied);
    }

    [Fact]
    public async Task An_outcome_with_nothing_to_save_writes_nothing()
    {
        await _store.SaveAsync(Mr, new PeopleOutcome(), CancellationToken.None);

        Assert.Empty(_state.Calls);
    }

    [Fact]
    public async Task Commit_marks_only_the_decisions_the_plan_wrote_as_applied()
    {
        await _store.SaveAsync(Mr, new PeopleOutcome { ReviewersToSave = Bob, AssigneesToSave = Bob }, CancellationToken.None);

        await _store.CommitAsync(Mr, new PeoplePlan { ReviewersToCommit = true }, CancellationToken.None);

        Assert.True((await _store.ReviewersAsync(Mr, CancellationToken.None))!.Applied);
        Assert.False((await _store.AssigneesAsync(Mr, CancellationToken.None))!.Applied);
    }

    [Fact]
    public async Task Commit_without_a_stored_decision_stores_nothing()
    {
        await _store.CommitAsync(Mr, new PeoplePlan { ReviewersToCommit = true, AssigneesToCommit = true }, CancellationToken.None);

        Assert.Empty(_state.Values);
    }

    [Fact]
    public async Task An_unreadable_record_counts_as_no_decision()
    {
        _state.Values["reviewers:7:42"] = "{not json";

        Assert.Null(await _store.ReviewersAsync(Mr, CancellationToken.None));
    }

    [Fact]
    public async Task Each_MR_takes_its_turn_and_moves_the_counter_on_by_its_slots()
    {
        var first = await _store.TakeRoundRobinTurnAsync(Mr, slots: 2, dryRun: false, CancellationToken.None);
        var second = await _store.TakeRoundRobinTurnAsync(Mr with { Iid = 43 }, slots: 1, dryRun: false, CancellationToken.None);

        Assert.Equal(0, first);
        Assert.Equal(2, second);
        Assert.Equal("3", _state.Values["round-robin:7"]);
    }

    [Fact]
    public async Task A_dry_run_reads_the_turn_without_taking_it()
    {
        _state.Values["round-robin:7"] = "5";

        Assert.Equal(5, await _store.TakeRoundRobinTurnAsync(Mr, slots: 2, dryRun: true, CancellationToken.None));
        Assert.Equal(["get round-robin:7"], _state.Calls);
    }
}
