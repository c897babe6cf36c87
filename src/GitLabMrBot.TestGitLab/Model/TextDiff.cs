using System.Text;

namespace GitLabMrBot.TestGitLab.Model;

/// <summary>
/// Unified diffs between two texts, shaped like the <c>diff</c> field of GitLab's MR diffs API
/// (hunks with three lines of context, no file header lines). An LCS line diff is plenty for test-sized files.
/// </summary>
internal static class TextDiff
{
    private const int Context = 3;

    public static FileDiff Compare(string path, string? oldText, string? newText)
    {
        var oldLines = Lines(oldText);
        var newLines = Lines(newText);
        var ops = Diff(oldLines, newLines);
        var text = Render(ops, oldLines, newLines);
        return new FileDiff(
            path,
            path,
            NewFile: oldText is null,
            DeletedFile: newText is null,
            text,
            ops.Count(o => o.Kind == '+'),
            ops.Count(o => o.Kind == '-'));
    }

    private static string[] Lines(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        var lines = text.Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    private readonly record struct Op(char Kind, int OldIndex, int NewIndex);

    private static List<Op> Diff(string[] a, string[] b)
    {
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var ops = new List<Op>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                ops.Add(new Op(' ', x++, y++));
            }
            else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1]))
            {
                // Deletions first, as git prints them.
                ops.Add(new Op('-', x++, y));
            }
            else
            {
                ops.Add(new Op('+', x, y++));
            }
        }

        return ops;
    }

    private static string Render(List<Op> ops, string[] a, string[] b)
    {
        var sb = new StringBuilder();
        var i = 0;
        while (i < ops.Count)
        {
            var firstChange = ops.FindIndex(i, o => o.Kind != ' ');
            if (firstChange < 0)
            {
                break;
            }

            var start = Math.Max(i, firstChange - Context);
            var end = firstChange;
            // Extend the hunk while the next change is within two contexts of the last one.
            while (true)
            {
                var lastChange = end;
                var next = ops.FindIndex(lastChange + 1, o => o.Kind != ' ');
                if (next >= 0 && next - lastChange <= 2 * Context)
                {
                    end = next;
                    continue;
                }

                end = Math.Min(ops.Count - 1, lastChange + Context);
                break;
            }

            var hunk = ops.GetRange(start, end - start + 1);
            var oldCount = hunk.Count(o => o.Kind != '+');
            var newCount = hunk.Count(o => o.Kind != '-');
            var oldStart = oldCount == 0 ? hunk[0].OldIndex : hunk.First(o => o.Kind != '+').OldIndex + 1;
            var newStart = newCount == 0 ? hunk[0].NewIndex : hunk.First(o => o.Kind != '-').NewIndex + 1;
            sb.Append("@@ -").Append(oldStart).Append(',').Append(oldCount)
              .Append(" +").Append(newStart).Append(',').Append(newCount).Append(" @@\n");
            foreach (var op in hunk)
            {
                sb.Append(op.Kind).Append(op.Kind == '+' ? b[op.NewIndex] : a[op.OldIndex]).Append('\n');
            }

            i = end + 1;
        }

        return sb.ToString();
    }
}
