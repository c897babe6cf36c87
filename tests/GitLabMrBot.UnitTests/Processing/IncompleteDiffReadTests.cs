using System.Text.Json;
using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;
using GitLabMrBot.Processing.Reconciliation;
using GitLabMrBot.UnitTests.Policies;
using Microsoft.Extensions.Caching.Memory;
using NSubstitute;

namespace GitLabMrBot.UnitTests.Processing;

/// <summary>How the reader turns diffs GitLab did not return whole into the snapshot (docs/gitlab-behaviour.md §3.2).</summary>
public sealed class IncompleteDiffReadTests : IDisposable
{
    private static readonly MergeRequestRef Mr = new(7, 42);
    private static readonly CompiledConfig Config = PolicyTestKit.OnePolicy("""{ "changedFiles": ["src/**"] }""");

    private readonly IMergeRequestReader _gitLab = Substitute.For<IMergeRequestReader>();
    private readonly MemoryCache _cache = new(new MemoryCacheOptions());
    private readonly MergeRequestSnapshotReader _reader;

    public IncompleteDiffReadTests()
    {
        _reader = new MergeRequestSnapshotReader(_gitLab, _cache);
        _gitLab.GetCurrentUserAsync(default).ReturnsForAnyArgs(new GitLabUser { Id = 50, Username = "mrbot" });
        _gitLab.GetMergeRequestAsync(default!, default).ReturnsForAnyArgs(new GitLabMergeRequest
        {
            Id = 1000, Iid = 42, ProjectId = 7, State = "opened", Sha = "head", ChangesCount = "1000+",
            DiffRefs = new GitLabDiffRefs { BaseSha = "base", HeadSha = "head", StartSha = "start" },
        });
        _gitLab.GetLabelEventsAsync(default!, default).ReturnsForAnyArgs((IReadOnlyList<GitLabLabelEvent>)[]);
        _gitLab.GetNotesAsync(default!, default).ReturnsForAnyArgs((IReadOnlyList<GitLabNote>)[]);
    }

    public void Dispose() => _cache.Dispose();

    private void Diffs(params GitLabDiff[] diffs) => _gitLab.GetAllDiffsAsync(default!, default).ReturnsForAnyArgs((IReadOnlyList<GitLabDiff>)diffs);

    private async Task<IReadOnlyList<ChangedFile>> FilesAsync() => (await _reader.ReadAsync(Mr, Config, CancellationToken.None)).Snapshot.ChangedFiles;

    [Fact]
    public async Task GitLab_18_4_flags_say_which_files_came_without_their_diff_and_nothing_is_read_to_check()
    {
        Diffs(
            new GitLabDiff { NewPath = "a.bin", OldPath = "a.bin", Diff = "", TooLarge = true, Collapsed = false },
            new GitLabDiff { NewPath = "b.csv", OldPath = "b.csv", Diff = "", TooLarge = false, Collapsed = true },
            new GitLabDiff { NewPath = "c.py", OldPath = "c.py", Diff = "", NewFile = true, TooLarge = false, Collapsed = false });

        var files = await FilesAsync();

        Assert.Equal(["too large", "collapsed", null], files.Select(f => f.DiffNotReturned));
        await _gitLab.DidNotReceiveWithAnyArgs().GetFileAsync(default, default!, default, default);
    }

    [Fact]
    public async Task Before_18_4_an_empty_diff_is_checked_against_both_versions_of_the_file()
    {
        Diffs(
            new GitLabDiff { NewPath = "empty.py", OldPath = "empty.py", Diff = "", NewFile = true },
            new GitLabDiff { NewPath = "new.txt", OldPath = "old.txt", Diff = "", RenamedFile = true },
            new GitLabDiff { NewPath = "huge.csv", OldPath = "huge.csv", Diff = "" });
        _gitLab.GetFileAsync(7, "empty.py", "head", default).ReturnsForAnyArgs(c => c.ArgAt<string>(1) switch
        {
            "empty.py" => "",
            "old.txt" or "new.txt" => "same\n",
            "huge.csv" => c.ArgAt<string?>(2) == "base" ? "a\n" : "b\n",
            _ => null,
        });

        var files = await FilesAsync();

        Assert.Equal([null, null, "empty diff, too large or collapsed"], files.Select(f => f.DiffNotReturned));
        await _gitLab.Received().GetFileAsync(7, "old.txt", "base", Arg.Any<CancellationToken>());
        await _gitLab.Received().GetFileAsync(7, "new.txt", "head", Arg.Any<CancellationToken>());
        await _gitLab.DidNotReceive().GetFileAsync(7, "empty.py", "base", Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Before_18_4_at_most_ten_empty_diffs_are_checked_the_rest_count_as_not_returned()
    {
        Diffs([.. Enumerable.Range(1, 12).Select(i => new GitLabDiff { NewPath = $"f{i}", OldPath = $"f{i}", Diff = "", NewFile = true })]);
        _gitLab.GetFileAsync(default, default!, default, default).ReturnsForAnyArgs("");

        var files = await FilesAsync();

        Assert.Equal(10, files.Count(f => f.DiffNotReturned is null));
        Assert.Equal(["f11", "f12"], files.Where(f => f.DiffNotReturned is not null).Select(f => f.Path));
    }

    [Fact]
    public async Task Changes_count_reaches_the_snapshot_and_a_plus_means_files_were_not_listed()
    {
        Diffs(new GitLabDiff { NewPath = "src/a.cs", OldPath = "src/a.cs", Diff = "@@ -1 +1 @@\n-a\n+b\n" });

        var snapshot = (await _reader.ReadAsync(Mr, Config, CancellationToken.None)).Snapshot;

        Assert.Equal("1000+", snapshot.ChangesCount);
        Assert.True(snapshot.FilesUnlisted);
        Assert.True(snapshot.DiffIncomplete);
    }

    [Theory]
    [InlineData("""{ "id": 1, "iid": 2, "changes_count": "1000+" }""", "1000+")]
    [InlineData("""{ "id": 1, "iid": 2, "changes_count": "3" }""", "3")]
    [InlineData("""{ "id": 1, "iid": 2, "changes_count": 3 }""", "3")]
    [InlineData("""{ "id": 1, "iid": 2, "changes_count": null }""", null)]
    [InlineData("""{ "id": 1, "iid": 2 }""", null)]
    public void Changes_count_is_read_as_a_string_or_a_number(string json, string? expected)
    {
        var mr = JsonSerializer.Deserialize(json, GitLabJsonContext.Default.GitLabMergeRequest)!;

        Assert.Equal(expected, mr.ChangesCount);
    }
}
