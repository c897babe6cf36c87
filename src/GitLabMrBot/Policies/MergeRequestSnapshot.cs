using GitLabMrBot.Events;

namespace GitLabMrBot.Policies;

/// <summary>
/// Everything the policy engine reads about one MR, as GitLab reports it now. The reconciler fills it
/// from the API (MR, diffs, commits, resource label events); <c>simulate</c> fills it from a payload.
/// </summary>
public sealed record MergeRequestSnapshot
{
    public required long ProjectId { get; init; }
    public required long Iid { get; init; }
    public required string Title { get; init; }
    public string Description { get; init; } = "";
    public required string SourceBranch { get; init; }
    public required string TargetBranch { get; init; }
    public string AuthorUsername { get; init; } = "";
    public long AuthorId { get; init; }
    public bool Draft { get; init; }

    /// <summary>GitLab's state: <c>opened</c>, <c>closed</c>, <c>merged</c> or <c>locked</c>. Only <c>opened</c> is touched.</summary>
    public required string State { get; init; }

    public IReadOnlyList<string> Labels { get; init; } = [];
    public IReadOnlyList<ChangedFile> ChangedFiles { get; init; } = [];

    /// <summary>
    /// GitLab's <c>changes_count</c>: a number, or e.g. <c>"1000+"</c> when the diff passed GitLab's limits and
    /// <see cref="ChangedFiles"/> lists only part of the files (docs/gitlab-behaviour.md §3.2). Null when not known.
    /// </summary>
    public string? ChangesCount { get; init; }

    /// <summary>GitLab listed only part of the changed files: others changed that no rule can see.</summary>
    public bool FilesUnlisted => ChangesCount?.EndsWith('+') == true;

    /// <summary>GitLab did not return the whole diff: files it did not list, or files without their diff.</summary>
    public bool DiffIncomplete => FilesUnlisted || ChangedFiles.Any(f => f.DiffNotReturned is not null);
    public IReadOnlyList<string> CommitMessages { get; init; } = [];
    public string? HeadSha { get; init; }

    /// <summary>GitLab's <c>detailed_merge_status</c> (open enum: <c>mergeable</c>, <c>conflict</c>, <c>need_rebase</c>, <c>checking</c>…).</summary>
    public string? DetailedMergeStatus { get; init; }

    /// <summary>GitLab's <c>has_conflicts</c> (<c>cannot_be_merged?</c>): also true for an MR without commits (docs/gitlab-behaviour.md §3.2).</summary>
    public bool HasConflicts { get; init; }

    /// <summary>GitLab's <c>diverged_commits_count</c>: commits of the target branch the source branch lacks; null when GitLab did not say.</summary>
    public int? DivergedCommitsCount { get; init; }

    /// <summary>The project's <c>merge_method</c> (<c>merge</c>, <c>rebase_merge</c> or <c>ff</c>); null when not read.</summary>
    public string? MergeMethod { get; init; }

    public string WebUrl { get; init; } = "";

    /// <summary>Who put the labels there (from GitLab's resource label events): decides what the bot may remove or re-add.</summary>
    public LabelProvenance Provenance { get; init; } = LabelProvenance.None;

    /// <summary>Policies whose comment is already on the MR (its marker was found): they are not posted again.</summary>
    public IReadOnlySet<string> PostedPolicyComments { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    public MergeRequestRef Ref => new(ProjectId, Iid);
}

/// <summary>One changed file of the MR's diff.</summary>
public sealed record ChangedFile(string Path, int AddedLines = 0, int DeletedLines = 0)
{
    /// <summary>The path before a rename (equal to <see cref="Path"/> otherwise).</summary>
    public string? OldPath { get; init; }

    public bool NewFile { get; init; }
    public bool DeletedFile { get; init; }
    public bool RenamedFile { get; init; }

    /// <summary>
    /// Why GitLab returned no diff for this file (<c>too large</c>, <c>collapsed</c>…), so its line counts are unknown
    /// (docs/gitlab-behaviour.md §3.2); null when the diff was returned.
    /// </summary>
    public string? DiffNotReturned { get; init; }

    public int ChangedLines => AddedLines + DeletedLines;
}

/// <summary>
/// Label history that matters for "humans win" (docs/contract.md §2, principle 5).
/// </summary>
/// <param name="AddedByBot">Labels the bot added that are still on the MR: the only labels it may remove.</param>
/// <param name="RemovedByHuman">Labels a human removed from this MR: the bot never adds them back.</param>
public sealed record LabelProvenance(IReadOnlySet<string> AddedByBot, IReadOnlySet<string> RemovedByHuman)
{
    public static LabelProvenance None { get; } = new(new HashSet<string>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal));

    public static LabelProvenance Of(IEnumerable<string>? addedByBot = null, IEnumerable<string>? removedByHuman = null) =>
        new(new HashSet<string>(addedByBot ?? [], StringComparer.Ordinal), new HashSet<string>(removedByHuman ?? [], StringComparer.Ordinal));
}
