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
        foreach (var line in diff.AsSpan().EnumerateLines())
        {
            // File headers ("+++ b/x", "--- a/x") appear in raw diffs, not in the API's; skip them either way.
            if (line.StartsWith("+++ ") || line.StartsWith("--- "))
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
