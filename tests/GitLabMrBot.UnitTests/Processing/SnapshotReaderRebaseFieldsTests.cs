using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;
using GitLabMrBot.Processing.Reconciliation;
using GitLabMrBot.UnitTests.Policies;
using Microsoft.Extensions.Caching.Memory;
using NSubstitute;

namespace GitLabMrBot.UnitTests.Processing;

/// <summary>The fields of GitLab's rebase rule: diverged_commits_count from the MR, merge_method from its project, read once.</summary>
public sealed class SnapshotReaderRebaseFieldsTests : IDisposable
{
    private static readonly CompiledConfig WithNeedsRebase = PolicyTestKit.Compile("""{ "needsRebase": { "label": "needs-rebase" } }""");
    private static readonly CompiledConfig WithoutNeedsRebase = PolicyTestKit.Compile("""{ "sizeLabels": { "thresholds": { "S": 10 }, "largest": "L" } }""");

    private readonly IMergeRequestReader _gitLab = Substitute.For<IMergeRequestReader>();
    private readonly MemoryCache _cache = new(new MemoryCacheOptions());
    private readonly MergeRequestSnapshotReader _reader;

    public SnapshotReaderRebaseFieldsTests()
    {
        _reader = new MergeRequestSnapshotReader(_gitLab, _cache);
        _gitLab.GetCurrentUserAsync(default).ReturnsForAnyArgs(new GitLabUser { Id = 50, Username = "mrbot" });
        _gitLab.GetProjectAsync(default, default).ReturnsForAnyArgs(new GitLabProject { Id = 7, MergeMethod = "ff" });
        _gitLab.GetMergeRequestAsync(default!, default).ReturnsForAnyArgs(new GitLabMergeRequest
        {
            Id = 1000, Iid = 42, ProjectId = 7, State = "opened", Sha = "sha-1", DetailedMergeStatus = "draft_status", DivergedCommitsCount = 3,
        });
        _gitLab.GetAllDiffsAsync(default!, default).ReturnsForAnyArgs((IReadOnlyList<GitLabDiff>)[]);
        _gitLab.GetLabelEventsAsync(default!, default).ReturnsForAnyArgs((IReadOnlyList<GitLabLabelEvent>)[]);
        _gitLab.GetNotesAsync(default!, default).ReturnsForAnyArgs((IReadOnlyList<GitLabNote>)[]);
    }

    public void Dispose() => _cache.Dispose();

    private int ProjectReads => _gitLab.ReceivedCalls().Count(c => c.GetMethodInfo().Name == nameof(IMergeRequestReader.GetProjectAsync));

    [Fact]
    public async Task The_merge_method_is_read_once_per_project_and_the_diverged_count_every_time()
    {
        var first = await _reader.ReadAsync(new MergeRequestRef(7, 42), WithNeedsRebase, CancellationToken.None);
        var second = await _reader.ReadAsync(new MergeRequestRef(7, 43), WithNeedsRebase, CancellationToken.None);

        Assert.Equal(("ff", 3), (first.Snapshot.MergeMethod, first.Snapshot.DivergedCommitsCount));
        Assert.Equal("ff", second.Snapshot.MergeMethod);
        Assert.Equal(1, ProjectReads);
    }

    [Fact]
    public async Task Without_a_needs_rebase_label_the_project_is_not_read()
    {
        var read = await _reader.ReadAsync(new MergeRequestRef(7, 42), WithoutNeedsRebase, CancellationToken.None);

        Assert.Null(read.Snapshot.MergeMethod);
        Assert.Equal(0, ProjectReads);
    }
}
