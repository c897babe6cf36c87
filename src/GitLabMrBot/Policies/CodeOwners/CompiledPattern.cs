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
    private readonly string[]? segments;
    private readonly bool[]? literal;
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
        segments = parts[skip..];
        literal = [.. segments.Select(s => s.AsSpan().IndexOfAny('*', '?') < 0)];
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
            var matches = literal![i] ? segment.SequenceEqual(segments[i]) : RubyFnMatch.IsSegmentMatch(segments[i], segment);
            if (!matches)
            {
                return false;
            }

            end = start - 1;
        }

        return true;
    }
}
