using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;
using GitLabMrBot.Processing.Reconciliation;
using GitLabMrBot.Storage;
using GitLabMrBot.UnitTests.Policies;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging.Abstractions;
using NSubstitute;

namespace GitLabMrBot.UnitTests.Processing;

/// <summary>Issue 11 item 2: the MR's notes are read only when the store does not know the bot's notes on it.</summary>
public sealed class SnapshotReaderKnownNotesTests : IDisposable
{
    private static readonly MergeRequestRef Mr = new(7, 42);
    private static readonly GitLabUser Bot = new() { Id = 50, Username = "mrbot" };
    private static readonly CompiledConfig Labels = PolicyTestKit.OnePolicy("""{ "changedFiles": ["src/**"] }""");

    private readonly IMergeRequestReader _gitLab = Substitute.For<IMergeRequestReader>();
    private readonly MemoryCache _cache = new(new MemoryCacheOptions());
    private readonly MergeRequestSnapshotReader _reader;

    public SnapshotReaderKnownNotesTests()
    {
        _reader = new MergeRequestSnapshotReader(_gitLab, _cache);
        _gitLab.GetCurrentUserAsync(default).ReturnsForAnyArgs(Bot);
        _gitLab.GetMergeRequestAsync(default!, default).ReturnsForAnyArgs(
            new GitLabMergeRequest { Id = 1000, Iid = 42, ProjectId = 7, Title = "Fix a", State = "opened", Sha = "sha-1", TargetBranch = "main", SourceBranch = "topic" });
        _gitLab.GetAllDiffsAsync(default!, default).ReturnsForAnyArgs((IReadOnlyList<GitLabDiff>)[]);
        _gitLab.GetLabelEventsAsync(default!, default).ReturnsForAnyArgs((IReadOnlyList<GitLabLabelEvent>)[]);
        _gitLab.GetNotesAsync(default!, default).ReturnsForAnyArgs((IReadOnlyList<GitLabNote>)
            [new GitLabNote { Id = 3, Body = PolicyEngine.PolicyCommentMarker(Labels.Policies[0].Name) + "\nposted", Author = Bot }]);
    }

    public void Dispose() => _cache.Dispose();

    [Fact]
    public async Task Known_notes_read_no_notes_and_give_the_posted_policy_comments()
    {
        var read = await _reader.ReadAsync(Mr, Labels, ["earlier"], CancellationToken.None);

        await _gitLab.DidNotReceiveWithAnyArgs().GetNotesAsync(default!, default);
        Assert.False(read.NotesRead);
        Assert.Equal(["earlier"], read.Snapshot.PostedPolicyComments);
        Assert.Empty(read.BotNotes);
    }

    [Fact]
    public async Task Unknown_notes_are_read_and_the_bots_comments_found_by_marker()
    {
        var read = await _reader.ReadAsync(Mr, Labels, null, CancellationToken.None);

        await _gitLab.ReceivedWithAnyArgs(1).GetNotesAsync(default!, default);
        Assert.True(read.NotesRead);
        Assert.Equal([Labels.Policies[0].Name], read.Snapshot.PostedPolicyComments);
    }

    [Fact]
    public async Task The_notes_record_round_trips_through_the_store_and_an_unreadable_one_counts_as_none()
    {
        var values = new Dictionary<string, string>();
        var state = Substitute.For<IBotStateStore>();
        state.SetAsync(default!, default!, default).ReturnsForAnyArgs(call => { values[call.ArgAt<string>(0)] = call.ArgAt<string>(1); return Task.CompletedTask; });
        state.GetAsync(default!, default).ReturnsForAnyArgs(call => values.GetValueOrDefault(call.ArgAt<string>(0)));
        var store = new BotNotesStore(state, NullLogger<BotNotesStore>.Instance);
        var record = new BotNotesRecord(12, SummaryNote.HashOf("summary"), ["hotfix"]);

        Assert.Null(await store.LoadAsync(Mr, CancellationToken.None));
        await store.SaveAsync(Mr, null, record, CancellationToken.None);
        var loaded = await store.LoadAsync(Mr, CancellationToken.None);
        await store.SaveAsync(Mr, loaded, record with { PolicyComments = ["hotfix"] }, CancellationToken.None);
        values["notes:7:42"] = "{not json";

        Assert.Equal(new SummaryNote(12, SummaryNote.HashOf("summary")), loaded!.Summary);
        Assert.Equal(["hotfix"], loaded.PolicyComments);
        await state.ReceivedWithAnyArgs(1).SetAsync(default!, default!, default);
        Assert.Null(await store.LoadAsync(Mr, CancellationToken.None));
    }
}
