namespace GitLabMrBot.Policies.CodeOwners;

/// <summary>
/// A normalized pattern prepared for fast matching. With <c>FNM_PATHNAME</c>, pattern segments other than
/// <c>**/</c> match exactly one path segment each, so the two commonest shapes need no backtracking:
/// a pattern without globstars matches segment by segment, and <c>/**/</c> followed by k plain segments matches the
/// path's last k segments. Anything else (more globstars, escapes, brackets) goes to the general
/// <see cref="RubyFnMatch"/>, which the other shapes are tested against.
/// </summary>
internal sealed class CompiledPattern
{
    private readonly string pattern;
    private readonly SegmentGlob[]? segments;
    private readonly bool anyDepth;

    public CompiledPattern(string pattern)
    {
        this.pattern = pattern;
        if (!pattern.StartsWith('/') || pattern.AsSpan().IndexOfAny('\\', '[', ']') >= 0)
        {
            return;
        }

        var parts = pattern.Split('/')[1..];
        var skip = 0;
        while (skip < parts.Length - 1 && parts[skip] == "**")
        {
            skip++;
        }

        // A later '**' directory (not the last segment, where '**' is a plain '*') needs the general matcher.
        for (var i = skip; i < parts.Length - 1; i++)
        {
            if (parts[i] == "**")
            {
                return;
            }
        }

        anyDepth = skip > 0;
        segments = [.. parts[skip..].Select(p => new SegmentGlob(p))];
    }

    /// <summary>Matches a path that starts with '/'.</summary>
    public bool IsMatch(string rootedPath)
    {
        if (segments is null)
        {
            return RubyFnMatch.IsMatch(pattern, rootedPath);
        }

        var path = rootedPath.AsSpan(1);
        var pathSegments = path.Count('/') + 1;
        if (anyDepth ? pathSegments < segments.Length : pathSegments != segments.Length)
        {
            return false;
        }

        // Walk the path's segments from its end, against the pattern's from its end.
        var end = path.Length;
        for (var i = segments.Length - 1; i >= 0; i--)
        {
            var start = path[..end].LastIndexOf('/') + 1;
            var segment = path[start..end];
            if (!segments[i].IsMatch(segment))
            {
                return false;
            }

            end = start - 1;
        }

        return true;
    }

    /// <summary>
    /// One pattern segment. Literals compare directly, and a segment of literals and '*' only (the usual
    /// '*.rb', '*spec*', 'index.*') matches by finding its literals in order, which accepts exactly what the
    /// backtracking '*' of fnmatch accepts; anything with '?' uses the port.
    /// </summary>
    private sealed class SegmentGlob
    {
        private readonly string text;
        private readonly string[]? parts;

        public SegmentGlob(string text)
        {
            this.text = text;
            if (text.Contains('?', StringComparison.Ordinal))
            {
                return;
            }

            parts = text.Split('*');
        }

        public bool IsMatch(ReadOnlySpan<char> segment)
        {
            if (parts is null)
            {
                return RubyFnMatch.IsSegmentMatch(text, segment);
            }

            if (parts.Length == 1)
            {
                return segment.SequenceEqual(text);
            }

            var first = parts[0];
            var last = parts[^1];
            if (segment.Length < first.Length + last.Length || !segment.StartsWith(first) || !segment.EndsWith(last))
            {
                return false;
            }

            var middle = segment[first.Length..^last.Length];
            for (var i = 1; i < parts.Length - 1; i++)
            {
                if (parts[i].Length == 0)
                {
                    continue;
                }

                var at = middle.IndexOf(parts[i], StringComparison.Ordinal);
                if (at < 0)
                {
                    return false;
                }

                middle = middle[(at + parts[i].Length)..];
            }

            return true;
        }
    }
}
