namespace GitLabMrBot.TestGitLab;

/// <summary>
/// The instance's diff limits (Admin → Settings → General → Diff limits: <c>diff_max_patch_bytes</c>, <c>diff_max_files</c>,
/// <c>diff_max_lines</c>; docs/gitlab-behaviour.md §3.2). GitLab accepts 200–500 KB and 1,000–3,000 files and
/// 50,000–100,000 lines; the test GitLab takes any positive value so that a test can overflow with a few files.
/// </summary>
public sealed record DiffLimits
{
    /// <summary>A file whose patch reaches this many bytes is stored "too large": empty <c>diff</c>.</summary>
    public int MaxPatchBytes { get; init; } = 200 * 1024;

    /// <summary>Files past this many are not stored; the MR's <c>changes_count</c> becomes e.g. <c>"1000+"</c>.</summary>
    public int MaxFiles { get; init; } = 1000;

    /// <summary>The file whose patch lines bring the total to this many is dropped, with every file after it.</summary>
    public int MaxLines { get; init; } = 50_000;

    public static DiffLimits Default { get; } = new();
}
