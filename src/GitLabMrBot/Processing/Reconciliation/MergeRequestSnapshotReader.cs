using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>What the reconciler read: the snapshot the engine decides on, and the notes the executor upserts into.</summary>
public sealed record MergeRequestRead(MergeRequestSnapshot Snapshot, GitLabMergeRequest MergeRequest, IReadOnlyList<GitLabNote> BotNotes, GitLabUser Bot)
{
    /// <summary>Whether <see cref="MergeRequestSnapshot.Provenance"/> comes from the MR's label events (false: not read yet, none assumed).</summary>
    public bool HasLabelHistory { get; init; } = true;

    /// <summary>GitLab's system notes about the bot's own changes ("requested review from @a"): who the bot ever asked.</summary>
    public IReadOnlyList<GitLabNote> BotSystemNotes { get; init; } = [];

    /// <summary>False when the MR's notes were not read (the store knew them): <see cref="BotNotes"/> and <see cref="BotSystemNotes"/> are then empty.</summary>
    public bool NotesRead { get; init; } = true;
}

/// <summary>
/// Reads one MR's current state from GitLab into a <see cref="MergeRequestSnapshot"/>. Diffs and commits
/// are cached by head SHA (a commit's diff never changes; not with the caches off, <see cref="GitLabCacheOptions.Enabled"/>);
/// labels, notes and label events are read fresh, the label events only when asked for.
/// </summary>
public sealed class MergeRequestSnapshotReader(IMergeRequestReader gitLab, IMemoryCache cache, IOptions<GitLabCacheOptions>? cacheOptions = null)
{
    private readonly bool _caching = cacheOptions?.Value.Enabled ?? true;

    private static readonly TimeSpan CacheFor = TimeSpan.FromHours(1);
    private const int MaxEmptyDiffChecks = 10;
    private const string UnflaggedEmptyDiff = "empty diff, too large or collapsed";

    // A project's merge method is a setting that rarely changes: read once per project, a change is seen within this.
    private static readonly TimeSpan MergeMethodCacheFor = TimeSpan.FromMinutes(10);

    /// <summary>The MR alone (one read), e.g. for a mergeability re-check; hand it to <see cref="ReadAsync(MergeRequestRef, CompiledConfig, IReadOnlyCollection{string}?, bool, CancellationToken, GitLabMergeRequest?, bool)"/> to read the rest.</summary>
    public Task<GitLabMergeRequest> ReadMergeRequestAsync(MergeRequestRef mergeRequest, CancellationToken cancellationToken) =>
        gitLab.GetMergeRequestAsync(mergeRequest, cancellationToken);

    public Task<MergeRequestRead> ReadAsync(MergeRequestRef mergeRequest, CompiledConfig config, CancellationToken cancellationToken) =>
        ReadAsync(mergeRequest, config, knownNotes: null, withLabelHistory: true, cancellationToken);

    /// <inheritdoc cref="ReadAsync(MergeRequestRef, CompiledConfig, IReadOnlyCollection{string}?, bool, CancellationToken, GitLabMergeRequest?, bool)"/>
    public Task<MergeRequestRead> ReadAsync(MergeRequestRef mergeRequest, CompiledConfig config, IReadOnlyCollection<string>? knownNotes, CancellationToken cancellationToken) =>
        ReadAsync(mergeRequest, config, knownNotes, withLabelHistory: true, cancellationToken);

    /// <inheritdoc cref="ReadAsync(MergeRequestRef, CompiledConfig, IReadOnlyCollection{string}?, bool, CancellationToken, GitLabMergeRequest?, bool)"/>
    public Task<MergeRequestRead> ReadAsync(MergeRequestRef mergeRequest, CompiledConfig config, bool withLabelHistory, CancellationToken cancellationToken) =>
        ReadAsync(mergeRequest, config, knownNotes: null, withLabelHistory, cancellationToken);

    /// <summary>
    /// Reads the MR. Its notes only when <paramref name="knownNotes"/> is null: then the bot's notes are found by their markers
    /// (and its system notes give the people history); otherwise the policy comments already posted are the known ones.
    /// Without <paramref name="withLabelHistory"/> its label events are left out (the snapshot's provenance is
    /// <see cref="LabelProvenance.None"/>) until <see cref="WithLabelHistoryAsync"/> adds them. With the caches off both are
    /// always read, as the naive baseline did. <paramref name="known"/> is the MR as just read in this same evaluation (a re-check), not read again.
    /// Without <paramref name="withSystemNotes"/> an MR with no user notes has its notes left unread (none can be the bot's).
    /// </summary>
    public async Task<MergeRequestRead> ReadAsync(
        MergeRequestRef mergeRequest,
        CompiledConfig config,
        IReadOnlyCollection<string>? knownNotes,
        bool withLabelHistory,
        CancellationToken cancellationToken,
        GitLabMergeRequest? known = null,
        bool withSystemNotes = true)
    {
        withLabelHistory |= !_caching;
        knownNotes = _caching ? knownNotes : null;
        var bot = await gitLab.GetCurrentUserAsync(cancellationToken);
        var mr = known ?? await gitLab.GetMergeRequestAsync(mergeRequest, cancellationToken);
        if (mr.State != "opened")
        {
            // Closed, merged and locked MRs are never touched: the engine says so, nothing more is read.
            return new MergeRequestRead(Basic(mergeRequest, mr), mr, [], bot);
        }

        var headSha = mr.Sha ?? mr.DiffRefs?.HeadSha;
        var files = await CachedAsync("diffs", mergeRequest, headSha, async () =>
            await ChangedFilesAsync(mergeRequest, mr, await gitLab.GetAllDiffsAsync(mergeRequest, cancellationToken), cancellationToken));
        IReadOnlyList<string> commits = config.UsesCommitMessages
            ? await CachedAsync("commits", mergeRequest, headSha, async () => (IReadOnlyList<string>)(await gitLab.GetCommitsAsync(mergeRequest, cancellationToken))
                .Select(c => c.Message ?? c.Title ?? "").ToList())
            : [];
        var labelEvents = withLabelHistory ? await gitLab.GetLabelEventsAsync(mergeRequest, cancellationToken) : [];
        // No user note at all means none of the bot's either (its notes are user notes): nothing to look for, unless its
        // system notes ("requested review from") are wanted too, which that count leaves out.
        var noBotNotes = _caching && !withSystemNotes && mr.UserNotesCount == 0;
        var notes = knownNotes is null && !noBotNotes ? await gitLab.GetNotesAsync(mergeRequest, cancellationToken) : [];
        var botNotes = notes.Where(n => !n.System && n.Author?.Id == bot.Id).ToList();
        var botSystemNotes = notes.Where(n => n.System && n.Author?.Id == bot.Id).ToList();
        var mergeMethod = config.NeedsRebaseLabel is null ? null : await MergeMethodAsync(mergeRequest.ProjectId, cancellationToken);

        var snapshot = Basic(mergeRequest, mr) with
        {
            MergeMethod = mergeMethod,
            ChangedFiles = files,
            CommitMessages = commits,
            Provenance = LabelHistory.Provenance(labelEvents, mr.Labels, bot.Id),
            PostedPolicyComments = knownNotes is null ? PostedPolicyComments(config, botNotes) : new HashSet<string>(knownNotes, StringComparer.Ordinal),
        };
        return new MergeRequestRead(snapshot, mr, botNotes, bot) { BotSystemNotes = botSystemNotes, HasLabelHistory = withLabelHistory, NotesRead = knownNotes is null };
    }

    /// <summary>The same read with the MR's label events: who put each label there or took it away.</summary>
    public async Task<MergeRequestRead> WithLabelHistoryAsync(MergeRequestRead read, CancellationToken cancellationToken)
    {
        if (read.HasLabelHistory)
        {
            return read;
        }
        var events = await gitLab.GetLabelEventsAsync(read.Snapshot.Ref, cancellationToken);
        var snapshot = read.Snapshot with { Provenance = LabelHistory.Provenance(events, read.MergeRequest.Labels, read.Bot.Id) };
        return read with { Snapshot = snapshot, HasLabelHistory = true };
    }

    internal static MergeRequestSnapshot Basic(MergeRequestRef mergeRequest, GitLabMergeRequest mr) => new()
    {
        ProjectId = mergeRequest.ProjectId,
        Iid = mergeRequest.Iid,
        Title = mr.Title,
        Description = mr.Description ?? "",
        SourceBranch = mr.SourceBranch,
        TargetBranch = mr.TargetBranch,
        AuthorUsername = mr.Author?.Username ?? "",
        AuthorId = mr.Author?.Id ?? 0,
        Draft = mr.Draft,
        State = mr.State,
        Labels = mr.Labels,
        HeadSha = mr.Sha,
        DetailedMergeStatus = mr.DetailedMergeStatus,
        HasConflicts = mr.HasConflicts,
        DivergedCommitsCount = mr.DivergedCommitsCount,
        WebUrl = mr.WebUrl ?? "",
        ChangesCount = mr.ChangesCount,
    };

    /// <summary>The project's merge method, which decides whether an MR behind its target needs a rebase (docs/gitlab-behaviour.md §3.2).</summary>
    private async Task<string?> MergeMethodAsync(long projectId, CancellationToken cancellationToken)
    {
        var key = ("merge_method", projectId);
        if (cache.TryGetValue(key, out string? method) && method is not null)
        {
            return method;
        }
        method = (await gitLab.GetProjectAsync(projectId, cancellationToken)).MergeMethod;
        if (method is not null)
        {
            cache.Set(key, method, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = MergeMethodCacheFor, Size = 1 });
        }
        return method;
    }

    private async Task<T> CachedAsync<T>(string kind, MergeRequestRef mergeRequest, string? headSha, Func<Task<T>> load)
    {
        if (headSha is null || !_caching)
        {
            return await load();
        }
        var key = (kind, mergeRequest, headSha);
        if (cache.TryGetValue(key, out T? hit) && hit is not null)
        {
            return hit;
        }
        var value = await load();
        cache.Set(key, value, new MemoryCacheEntryOptions { SlidingExpiration = CacheFor, Size = 1 });
        return value;
    }

    private static HashSet<string> PostedPolicyComments(CompiledConfig config, IReadOnlyList<GitLabNote> botNotes)
    {
        var posted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var policy in config.Policies)
        {
            var marker = PolicyEngine.PolicyCommentMarker(policy.Name);
            if (botNotes.Any(n => n.Body.Contains(marker, StringComparison.Ordinal)))
            {
                posted.Add(policy.Name);
            }
        }
        return posted;
    }

    /// <summary>
    /// The changed files with their line counts. A file GitLab returned without its diff (docs/gitlab-behaviour.md §3.2)
    /// says why in <see cref="ChangedFile.DiffNotReturned"/>: GitLab 18.4 and later flag it <c>too_large</c> or
    /// <c>collapsed</c>; older versions only empty the diff, which is also what an empty new file or a pure rename
    /// has, so there the two versions of the file are compared (for at most <see cref="MaxEmptyDiffChecks"/> files).
    /// </summary>
    private async Task<List<ChangedFile>> ChangedFilesAsync(MergeRequestRef mergeRequest, GitLabMergeRequest mr, IReadOnlyList<GitLabDiff> diffs, CancellationToken cancellationToken)
    {
        var files = ChangedFiles(diffs);
        var checks = 0;
        for (var i = 0; i < files.Count; i++)
        {
            if (files[i].DiffNotReturned == UnflaggedEmptyDiff && checks++ < MaxEmptyDiffChecks && await SameContentAsync(mergeRequest.ProjectId, mr, diffs[i], cancellationToken))
            {
                files[i] = files[i] with { DiffNotReturned = null };
            }
        }
        return files;
    }

    // Both sides of the file as GitLab's repository has them: equal means the empty diff is the real one.
    private async Task<bool> SameContentAsync(long projectId, GitLabMergeRequest mr, GitLabDiff diff, CancellationToken cancellationToken)
    {
        if (mr.DiffRefs is not { BaseSha: { } baseSha } || (mr.DiffRefs.HeadSha ?? mr.Sha) is not { } headSha)
        {
            return false;
        }
        var before = diff.NewFile ? "" : await gitLab.GetFileAsync(projectId, diff.OldPath, baseSha, cancellationToken);
        var after = diff.DeletedFile ? "" : await gitLab.GetFileAsync(projectId, diff.NewPath, headSha, cancellationToken);
        return before is not null && after is not null && string.Equals(before, after, StringComparison.Ordinal);
    }

    internal static List<ChangedFile> ChangedFiles(IReadOnlyList<GitLabDiff> diffs) =>
        diffs.Select(d =>
        {
            var (added, deleted) = DiffLines.Count(d.Diff);
            return new ChangedFile(d.NewPath, added, deleted)
            {
                OldPath = d.OldPath,
                NewFile = d.NewFile,
                DeletedFile = d.DeletedFile,
                RenamedFile = d.RenamedFile,
                DiffNotReturned = d.TooLarge == true ? "too large"
                    : d.Collapsed == true ? "collapsed"
                    : d.TooLarge is null && d.Collapsed is null && string.IsNullOrEmpty(d.Diff) ? UnflaggedEmptyDiff
                    : null,
            };
        }).ToList();
}
