namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>Counts added and deleted lines of one file's unified diff as GitLab's diffs API returns it (hunks only).</summary>
public static class DiffLines
{
    public static (int Added, int Deleted) Count(string? diff)
    {
        if (string.IsNullOrEmpty(diff))
        {
            return (0, 0);
        }
        int added = 0, deleted = 0;
        var inHunks = false;
        foreach (var line in diff.AsSpan().EnumerateLines())
        {
            if (line.StartsWith("@@"))
            {
                inHunks = true;
                continue;
            }
            // File headers ("--- a/x", "+++ b/x", "diff --git …") come only before the first hunk, and only with
            // unidiff=true; the API's diffs start at "@@" (docs/gitlab-behaviour.md §3.2). Inside a hunk "--- x" is a
            // deleted line "-- x" (an SQL comment) and "+++ x" an added "++ x": they count.
            if (!inHunks)
            {
                continue;
            }
            if (line.Length > 0 && line[0] == '+')
            {
                added++;
            }
            else if (line.Length > 0 && line[0] == '-')
            {
                deleted++;
            }
        }
        return (added, deleted);
    }
}
