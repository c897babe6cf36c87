using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;
using GitLabMrBot.Processing.Reconciliation;
using GitLabMrBot.UnitTests.Policies;
using Microsoft.Extensions.Caching.Memory;
using NSubstitute;

namespace GitLabMrBot.UnitTests.Processing;

public sealed class MergeRequestSnapshotReaderTests : IDisposable
{
    private static readonly MergeRequestRef Mr = new(7, 42);
    private static readonly GitLabUser Bot = new() { Id = 50, Username = "mrbot" };
    private static readonly GitLabUser Alice = new() { Id = 1, Username = "alice" };

    private static readonly CompiledConfig Labels = PolicyTestKit.OnePolicy("""{ "changedFiles": ["src/**"] }""");
    private static readonly CompiledConfig ReadsCommits = PolicyTestKit.OnePolicy("""{ "commitMessages": "^fix" }""");

    private readonly IMergeRequestReader _gitLab = Substitute.For<IMergeRequestReader>();
    private readonly MemoryCache _cache = new(new MemoryCacheOptions());
    private readonly MergeRequestSnapshotReader _reader;

    public MergeRequestSnapshotReaderTests()
    {
        _reader = new MergeRequestSnapshotReader(_gitLab, _cache);
        _gitLab.GetCurrentUserAsync(default).ReturnsForAnyArgs(Bot);
        Returns(OpenMr("sha-1"));
        _gitLab.GetAllDiffsAsync(default!, default).ReturnsForAnyArgs((IReadOnlyList<GitLabDiff>)
            [new GitLabDiff { OldPath = "src/a.cs", NewPath = "src/a.cs", Diff = "@@ -1 +1,2 @@\n-a\n+b\n+c\n" }]);
        _gitLab.GetCommitsAsync(default!, default).ReturnsForAnyArgs((IReadOnlyList<GitLabCommit>)[new GitLabCommit { Id = "c1", Message = "fix: a" }]);
        _gitLab.GetLabelEventsAsync(default!, default).ReturnsForAnyArgs((IReadOnlyList<GitLabLabelEvent>)[]);
        _gitLab.GetNotesAsync(default!, default).ReturnsForAnyArgs((IReadOnlyList<GitLabNote>)[]);
    }

    public void Dispose() => _cache.Dispose();

    private static GitLabMergeRequest OpenMr(string? sha, string state = "opened") =>
        new() { Id = 1000, Iid = 42, ProjectId = 7, Title = "Fix a", State = state, Author = Alice, Sha = sha, TargetBranch = "main", SourceBranch = "topic" };

    private void Returns(GitLabMergeRequest mr) => _gitLab.GetMergeRequestAsync(default!, default).ReturnsForAnyArgs(mr);

    private int Calls(string method) => _gitLab.ReceivedCalls().Count(c => c.GetMethodInfo().Name == method);

    [Theory]
    [InlineData("closed")]
    [InlineData("merged")]
    [InlineData("locked")]
    public async Task A_closed_MR_reads_nothing_more_than_the_MR(string state)
    {
        Returns(OpenMr("sha-1", state));

        var read = await _reader.ReadAsync(Mr, ReadsCommits, CancellationToken.None);

        Assert.Equal(state, read.Snapshot.State);
        Assert.Equal(
            [nameof(IMergeRequestReader.GetCurrentUserAsync), nameof(IMergeRequestReader.GetMergeRequestAsync)],
            _gitLab.ReceivedCalls().Select(c => c.GetMethodInfo().Name).Order(StringComparer.Ordinal));
        Assert.Empty(read.BotNotes);
        Assert.Empty(read.Snapshot.ChangedFiles);
    }

    [Fact]
    public async Task Diffs_and_commits_are_cached_by_head_SHA_while_notes_and_label_events_are_read_fresh()
    {
        var first = await _reader.ReadAsync(Mr, ReadsCommits, CancellationToken.None);
        var second = await _reader.ReadAsync(Mr, ReadsCommits, CancellationToken.None);

        Assert.Equal(1, Calls(nameof(IMergeRequestReader.GetAllDiffsAsync)));
        Assert.Equal(1, Calls(nameof(IMergeRequestReader.GetCommitsAsync)));
        Assert.Equal(2, Calls(nameof(IMergeRequestReader.GetNotesAsync)));
        Assert.Equal(2, Calls(nameof(IMergeRequestReader.GetLabelEventsAsync)));
        Assert.Equal(first.Snapshot.ChangedFiles, second.Snapshot.ChangedFiles);
        var file = Assert.Single(second.Snapshot.ChangedFiles);
        Assert.Equal(("src/a.cs", 2, 1), (file.Path, file.AddedLines, file.DeletedLines));
        Assert.Equal(["fix: a"], second.Snapshot.CommitMessages);

        // A push moves the head: the new commit's diff and commits are read.
        Returns(OpenMr("sha-2"));
        await _reader.ReadAsync(Mr, ReadsCommits, CancellationToken.None);

        Assert.Equal(2, Calls(nameof(IMergeRequestReader.GetAllDiffsAsync)));
        Assert.Equal(2, Calls(nameof(IMergeRequestReader.GetCommitsAsync)));
    }

    [Fact]
    public async Task Without_a_head_SHA_nothing_is_cached()
    {
        Returns(OpenMr(sha: null));

        await _reader.ReadAsync(Mr, Labels, CancellationToken.None);
        await _reader.ReadAsync(Mr, Labels, CancellationToken.None);

        Assert.Equal(2, Calls(nameof(IMergeRequestReader.GetAllDiffsAsync)));
    }

    [Fact]
    public async Task Commits_are_read_only_when_a_condition_reads_commit_messages()
    {
        var read = await _reader.ReadAsync(Mr, Labels, CancellationToken.None);

        Assert.Equal(0, Calls(nameof(IMergeRequestReader.GetCommitsAsync)));
        Assert.Empty(read.Snapshot.CommitMessages);
        Assert.Equal(1, Calls(nameof(IMergeRequestReader.GetAllDiffsAsync)));
    }

    [Fact]
    public async Task Notes_are_split_by_author_and_system_flag()
    {
        var summary = new GitLabNote { Id = 1, Body = SummaryComment.Marker + "\nsummary", Author = Bot };
        var requested = new GitLabNote { Id = 2, Body = "requested review from @bob", Author = Bot, System = true };
        var humanComment = new GitLabNote { Id = 3, Body = "LGTM", Author = Alice };
        var humanSystem = new GitLabNote { Id = 4, Body = "requested review from @carol", Author = Alice, System = true };
        var anonymous = new GitLabNote { Id = 5, Body = "?" };
        _gitLab.GetNotesAsync(default!, default).ReturnsForAnyArgs((IReadOnlyList<GitLabNote>)[summary, requested, humanComment, humanSystem, anonymous]);

        var read = await _reader.ReadAsync(Mr, Labels, CancellationToken.None);

        Assert.Equal([summary], read.BotNotes);
        Assert.Equal([requested], read.BotSystemNotes);
        Assert.Same(Bot, read.Bot);
    }

    [Fact]
    public async Task A_policy_comment_already_on_the_MR_is_found_by_its_marker_among_the_bots_notes()
    {
        var config = PolicyTestKit.Compile("""
            { "policies": [
              { "name": "posted", "when": { "changedFiles": ["**"] }, "then": { "comment": "hello" } },
              { "name": "by-a-human", "when": { "changedFiles": ["**"] }, "then": { "comment": "hi" } } ] }
            """);
        _gitLab.GetNotesAsync(default!, default).ReturnsForAnyArgs((IReadOnlyList<GitLabNote>)
        [
            new GitLabNote { Id = 1, Body = PolicyEngine.PolicyCommentMarker("posted") + "\nhello", Author = Bot },
            new GitLabNote { Id = 2, Body = PolicyEngine.PolicyCommentMarker("by-a-human") + "\nhi", Author = Alice },
        ]);

        var read = await _reader.ReadAsync(Mr, config, CancellationToken.None);

        Assert.Equal(["posted"], read.Snapshot.PostedPolicyComments);
    }
}
