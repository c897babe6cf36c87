namespace GitLabMrBot.Policies.CodeOwners;

/// <summary>
/// Ruby's <c>File.fnmatch?(pattern, path, File::FNM_PATHNAME | File::FNM_DOTMATCH)</c>, which is what GitLab
/// matches CODEOWNERS patterns with. The semantics, checked against Ruby 3.1 on a table of cases
/// (see the unit tests):
/// <list type="bullet">
/// <item><c>*</c>, <c>?</c> and <c>[...]</c> never match <c>/</c>; <c>*</c> matches dotfiles.</item>
/// <item><c>**/</c> at the start of a segment matches zero or more whole directories; <c>**</c> anywhere else is <c>*</c>.</item>
/// <item><c>[!...]</c>/<c>[^...]</c> negate, <c>a-z</c> ranges, <c>\</c> escapes; an unclosed <c>[</c> matches nothing,
/// <c>[]</c> matches nothing and <c>[!]</c> matches any one character.</item>
/// <item>No brace expansion and no case folding.</item>
/// </list>
/// Only the latest <c>**/</c> is retried on failure and only the latest <c>*</c> in a segment, as in Ruby, which keeps
/// the matcher linear in practice and reproduces Ruby's answers exactly.
/// </summary>
internal static class RubyFnMatch
{
    public static bool IsMatch(string pattern, string path) => IsMatch(pattern.AsSpan(), path.AsSpan());

    /// <summary>One segment (no '/') against one segment: what each pattern segment does to its path segment.</summary>
    public static bool IsSegmentMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> segment)
    {
        int p = 0, s = 0;
        return MatchSegment(pattern, ref p, segment, ref s);
    }

    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> path)
    {
        int p = 0, s = 0;
        int retryPattern = -1, retryPath = -1;

        while (true)
        {
            if (StartsWithGlobstar(pattern, p))
            {
                do
                {
                    p += 3;
                }
                while (StartsWithGlobstar(pattern, p));

                retryPattern = p;
                retryPath = s;
            }

            if (MatchSegment(pattern, ref p, path, ref s))
            {
                // The segment matched (a trailing '*' may have stopped short): move on to the next one.
                while (s < path.Length && path[s] != '/')
                {
                    s++;
                }

                if (p < pattern.Length && s < path.Length)
                {
                    p++;
                    s++;
                    continue;
                }

                if (p >= pattern.Length && s >= path.Length)
                {
                    return true;
                }
            }

            // Let the latest '**/' swallow one more directory of the path and try again from there.
            if (retryPattern >= 0)
            {
                var next = retryPath;
                while (next < path.Length && path[next] != '/')
                {
                    next++;
                }

                if (next < path.Length)
                {
                    p = retryPattern;
                    retryPath = next + 1;
                    s = retryPath;
                    continue;
                }
            }

            return false;
        }
    }

    private static bool StartsWithGlobstar(ReadOnlySpan<char> pattern, int p) =>
        p + 2 < pattern.Length && pattern[p] == '*' && pattern[p + 1] == '*' && pattern[p + 2] == '/';

    /// <summary>End of a segment: the end of the text or a '/'.</summary>
    private static bool IsEnd(ReadOnlySpan<char> text, int i) => i >= text.Length || text[i] == '/';

    private static int Unescape(ReadOnlySpan<char> pattern, int p) => p < pattern.Length && pattern[p] == '\\' ? p + 1 : p;

    /// <summary>
    /// Matches one segment of the path from <paramref name="s"/> with the pattern from <paramref name="p"/>.
    /// On success <paramref name="p"/> is left on the pattern's segment end ('/' or its end).
    /// </summary>
    private static bool MatchSegment(ReadOnlySpan<char> pattern, ref int p, ReadOnlySpan<char> path, ref int s)
    {
        int pi = p, si = s;
        int starPattern = -1, starPath = -1;

        while (true)
        {
            var pc = pi < pattern.Length ? pattern[pi] : '\0';
            if (pc == '*')
            {
                do
                {
                    pi++;
                }
                while (pi < pattern.Length && pattern[pi] == '*');

                var afterStar = Unescape(pattern, pi);
                if (IsEnd(pattern, afterStar))
                {
                    p = afterStar;
                    s = si;
                    return true;
                }

                if (IsEnd(path, si))
                {
                    return false;
                }

                starPattern = pi;
                starPath = si;
                continue;
            }

            if (pc == '?' && pi < pattern.Length)
            {
                if (IsEnd(path, si))
                {
                    return false;
                }

                pi++;
                si += CharLength(path, si);
                continue;
            }

            if (pc == '[' && pi < pattern.Length)
            {
                if (IsEnd(path, si))
                {
                    return false;
                }

                var afterBracket = MatchBracket(pattern, pi + 1, path[si]);
                if (afterBracket >= 0)
                {
                    pi = afterBracket;
                    si++;
                    continue;
                }
            }
            else
            {
                pi = Unescape(pattern, pi);
                if (IsEnd(path, si))
                {
                    if (IsEnd(pattern, pi))
                    {
                        p = pi;
                        s = si;
                        return true;
                    }

                    return false;
                }

                if (!IsEnd(pattern, pi) && pattern[pi] == path[si])
                {
                    pi++;
                    si++;
                    continue;
                }
            }

            // Mismatch: let the latest '*' of this segment take one more character.
            if (starPattern >= 0)
            {
                pi = starPattern;
                starPath++;
                si = starPath;
                continue;
            }

            return false;
        }
    }

    private static int CharLength(ReadOnlySpan<char> text, int i) =>
        i + 1 < text.Length && char.IsHighSurrogate(text[i]) && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;

    /// <summary>
    /// Matches <paramref name="c"/> against the bracket expression starting at <paramref name="p"/> (just after '[').
    /// Returns the index after the closing ']' on a match, -1 on no match or an unclosed bracket.
    /// </summary>
    private static int MatchBracket(ReadOnlySpan<char> pattern, int p, char c)
    {
        if (p >= pattern.Length)
        {
            return -1;
        }

        var negate = false;
        if (pattern[p] is '!' or '^')
        {
            negate = true;
            p++;
        }

        var found = false;
        while (p < pattern.Length && pattern[p] != ']')
        {
            var first = p;
            if (pattern[first] == '\\')
            {
                first++;
            }

            if (first >= pattern.Length)
            {
                return -1;
            }

            p = first + 1;
            if (p >= pattern.Length)
            {
                return -1;
            }

            if (pattern[p] == '-' && (p + 1 >= pattern.Length || pattern[p + 1] != ']'))
            {
                var last = p + 1;
                if (last < pattern.Length && pattern[last] == '\\')
                {
                    last++;
                }

                if (last >= pattern.Length)
                {
                    return -1;
                }

                p = last + 1;
                // Like Ruby, the two ends match even when the range is written backwards.
                if (!found && (c == pattern[first] || c == pattern[last] || (c >= pattern[first] && c <= pattern[last])))
                {
                    found = true;
                }
            }
            else if (!found && pattern[first] == c)
            {
                found = true;
            }
        }

        if (p >= pattern.Length)
        {
            return -1;
        }

        return found != negate ? p + 1 : -1;
    }
}
