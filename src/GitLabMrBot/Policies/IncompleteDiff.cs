namespace GitLabMrBot.Policies;

/// <summary>
/// Says, for reasons and the summary, what GitLab left out of a merge request's diff (docs/gitlab-behaviour.md §3.2):
/// files it returned without their diff (too large, collapsed) and files past its diff limits it did not list at all.
/// </summary>
public static class IncompleteDiff
{
    private const int NamedFiles = 3;

    /// <summary>Null when the diff is whole; else e.g. <c>data/a.csv was too large to show; GitLab listed 1000 of 1000+ changed files</c>.</summary>
    public static string? Describe(MergeRequestSnapshot snapshot) => Describe(snapshot, snapshot.ChangedFiles.Where(f => f.DiffNotReturned is not null).ToList());

    /// <summary>The same, naming only <paramref name="withoutDiff"/> of the files returned without a diff.</summary>
    public static string? Describe(MergeRequestSnapshot snapshot, IReadOnlyList<ChangedFile> withoutDiff)
    {
        var parts = new List<string>(2);
        if (withoutDiff.Count > 0)
        {
            var named = string.Join(", ", withoutDiff.Take(NamedFiles).Select(f => $"{f.Path} ({f.DiffNotReturned})"));
            var more = withoutDiff.Count > NamedFiles ? $" and {withoutDiff.Count - NamedFiles} more" : "";
            parts.Add($"no diff for {named}{more}");
        }
        if (snapshot.FilesUnlisted)
        {
            parts.Add($"only {snapshot.ChangedFiles.Count} of {snapshot.ChangesCount} changed files listed");
        }
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }
}
