using GitLabMrBot.TestGitLab.Model;

namespace GitLabMrBot.TestGitLab;

/// <summary>How merge request diffs are stored and served: the instance's diff limits and version-dependent behaviour.</summary>
public sealed partial class TestGitLabServer
{
    /// <summary>
    /// The admin's diff limits (default GitLab's: 200 KB per patch, 1,000 files, 50,000 lines). A too-large patch comes back
    /// from <c>/diffs</c> with an empty <c>diff</c>; past the file or line limit the rest of the files are not stored and
    /// <c>changes_count</c> reads e.g. <c>"1000+"</c>.
    /// </summary>
    public DiffLimits DiffLimits
    {
        get => Read(s => s.Limits);
        set => Change(s => s with { Limits = value });
    }

    /// <summary>True (default) is GitLab 18.4 or later: each diff says <c>too_large</c> and <c>collapsed</c>. False: the fields are absent.</summary>
    public bool DiffFlagsAvailable
    {
        get => Read(s => s.Flags);
        set => Change(s => s with { Flags = value });
    }

    /// <summary>True serves a patch that reaches a tenth of <see cref="DiffLimits.MaxPatchBytes"/> collapsed: empty <c>diff</c>, <c>collapsed: true</c>.</summary>
    public bool CollapseLargePatches
    {
        get => Read(s => s.CollapseLargePatches);
        set => Change(s => s with { CollapseLargePatches = value });
    }

    /// <summary>
    /// Set to 30 to emulate an older GitLab on a large MR (docs/gitlab-behaviour.md §3.2): <c>/diffs</c> with a larger
    /// <c>per_page</c> answers 500 <c>{"message":"500 Internal Server Error"}</c>. Null (default): any page size works.
    /// </summary>
    public int? DiffsPerPageLimit
    {
        get => Read(s => s.DiffsPerPageLimit);
        set => Change(s => s with { DiffsPerPageLimit = value });
    }

    private T Read<T>(Func<DiffSettings, T> read)
    {
        lock (state.Gate)
        {
            return read(state.DiffSettings);
        }
    }

    private void Change(Func<DiffSettings, DiffSettings> change)
    {
        lock (state.Gate)
        {
            state.DiffSettings = change(state.DiffSettings);
        }
    }
}
