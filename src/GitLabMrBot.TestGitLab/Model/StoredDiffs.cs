using System.Globalization;
using System.Text;

namespace GitLabMrBot.TestGitLab.Model;

/// <summary>How the instance stores and serves merge request diffs (set through <see cref="TestGitLabServer"/>).</summary>
internal sealed record DiffSettings
{
    public DiffLimits Limits { get; init; } = DiffLimits.Default;

    /// <summary>GitLab 18.4 and later expose <c>collapsed</c> and <c>too_large</c> on each diff; earlier versions only empty the <c>diff</c>.</summary>
    public bool Flags { get; init; } = true;

    /// <summary>Serve a patch that reaches a tenth of <see cref="DiffLimits.MaxPatchBytes"/> collapsed (empty <c>diff</c>).</summary>
    public bool CollapseLargePatches { get; init; }

    /// <summary>Answer 500 to <c>/diffs</c> with a larger <c>per_page</c> (older GitLab versions on large MRs, docs/gitlab-behaviour.md §3.2).</summary>
    public int? DiffsPerPageLimit { get; init; }
}

/// <summary>One file as the merge request diff stores it: the patch, or an empty one when GitLab pruned it.</summary>
internal sealed record StoredDiff(FileDiff File, string Diff, bool TooLarge, bool Collapsed);

/// <summary>What <c>MergeRequestDiff#save_diffs</c> keeps of a comparison, and the <c>real_size</c> it records.</summary>
internal sealed record StoredDiffs(IReadOnlyList<StoredDiff> Files, bool Overflow)
{
    /// <summary><c>changes_count</c>: the number of stored files, with a <c>+</c> when the diff overflowed (<c>DiffCollection#real_size</c>).</summary>
    public string RealSize => Files.Count.ToString(CultureInfo.InvariantCulture) + (Overflow ? "+" : "");

    /// <summary>
    /// <c>Gitlab::Git::DiffCollection</c>'s limits (docs/gitlab-behaviour.md §3.2) over the files in order: past
    /// <c>max_files</c>, or when a file brings the line total to <c>max_lines</c> or the byte total to <c>max_files × 5 KB</c>,
    /// the collection overflows and that file and every later one are dropped. A patch reaching <c>max_patch_bytes</c> is
    /// pruned to an empty diff and flagged too large; with <c>collapse</c>, one reaching a
    /// tenth of it is pruned and flagged collapsed.
    /// </summary>
    public static StoredDiffs Collect(IReadOnlyList<FileDiff> files, DiffSettings settings)
    {
        var limits = settings.Limits;
        var maxBytes = (long)limits.MaxFiles * 5 * 1024;
        var stored = new List<StoredDiff>();
        long lines = 0, bytes = 0;
        foreach (var file in files)
        {
            if (stored.Count >= limits.MaxFiles)
            {
                return new StoredDiffs(stored, Overflow: true);
            }

            var patchBytes = Encoding.UTF8.GetByteCount(file.Diff);
            var tooLarge = patchBytes >= limits.MaxPatchBytes;
            var collapsed = !tooLarge && settings.CollapseLargePatches && patchBytes >= limits.MaxPatchBytes / 10;
            var diff = tooLarge || collapsed ? "" : file.Diff;
            lines += CountLines(diff);
            bytes += Encoding.UTF8.GetByteCount(diff);
            if (lines >= limits.MaxLines || bytes >= maxBytes)
            {
                return new StoredDiffs(stored, Overflow: true);
            }

            stored.Add(new StoredDiff(file, diff, tooLarge, collapsed));
        }

        return new StoredDiffs(stored, Overflow: false);
    }

    // Gitlab::Git::Util.count_lines: the newlines, plus one for a last line without its own.
    private static int CountLines(string text) =>
        text.Length == 0 ? 0 : text.Count(c => c == '\n') + (text.EndsWith('\n') ? 0 : 1);
}
