// Hand-written: Microsoft.Extensions.FileSystemGlobbing supports only * and ** (no ?, [abc], {a,b} or \ escapes), so it cannot read our globs.
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.RegularExpressions;

namespace GitLabMrBot.Policies;

/// <summary>
/// A path glob, compiled once: <c>*</c> matches within one path segment, <c>**</c> crosses segments
/// (<c>**/</c> is zero or more directories, a trailing <c>/**</c> everything below), <c>?</c> one
/// character but not <c>/</c>, <c>[abc]</c>/<c>[!abc]</c> a character class, <c>{a,b}</c> alternatives,
/// and <c>\</c> escapes the next character. Every other character is literal (escaped into the regex,
/// so a glob can never inject regex syntax). Matching is case-sensitive, as Git paths are.
/// </summary>
public sealed class Glob
{
    private readonly Regex _regex;

    private Glob(string pattern, Regex regex)
    {
        Pattern = pattern;
        _regex = regex;
    }

    public string Pattern { get; }

    public bool IsMatch(string path) => _regex.IsMatch(path);

    public override string ToString() => Pattern;

    /// <summary>Compiles <paramref name="pattern"/>, or says why it is not a valid glob.</summary>
    public static bool TryParse(string pattern, [NotNullWhen(true)] out Glob? glob, [NotNullWhen(false)] out string? error)
    {
        glob = null;
        error = Translate(pattern, out var regex);
        if (error is not null)
        {
            return false;
        }
        try
        {
            // Non-backtracking: matching time is linear in the path, whatever the glob.
            glob = new Glob(pattern, new Regex(regex!, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant));
            return true;
        }
        catch (ArgumentException e)
        {
            // Only reachable through a malformed character class range such as [z-a].
            error = $"invalid character class: {e.Message}";
            return false;
        }
    }

    public static Glob Parse(string pattern) =>
        TryParse(pattern, out var glob, out var error) ? glob : throw new ArgumentException(error, nameof(pattern));

    private static string? Translate(string pattern, out string? regex)
    {
        regex = null;
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return "a glob must not be empty";
        }
        if (pattern.StartsWith('/'))
        {
            return "a glob must be relative (GitLab paths have no leading /)";
        }
        if (pattern.Contains("***", StringComparison.Ordinal))
        {
            return "*** is not a glob: use * within a segment or ** across segments";
        }

        var builder = new StringBuilder("^");
        var braceDepth = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' when At(pattern, i + 1) == '*':
                    var segmentStart = i == 0 || pattern[i - 1] == '/';
                    var segmentEnd = i + 2 == pattern.Length || pattern[i + 2] == '/';
                    if (!segmentStart || !segmentEnd)
                    {
                        return "** must be a whole path segment (like src/**/x or **/*.css)";
                    }
                    if (i + 2 < pattern.Length)
                    {
                        builder.Append("(?:.*/)?"); // "**/": zero or more directories
                        i += 2;
                    }
                    else if (i > 0)
                    {
                        builder.Length -= 1; // "dir/**": everything below dir (the '/' is part of the group)
                        builder.Append("(?:/.*)?");
                        i += 1;
                    }
                    else
                    {
                        builder.Append(".*");
                        i += 1;
                    }
                    break;
                case '*':
                    builder.Append("[^/]*");
                    break;
                case '?':
                    builder.Append("[^/]");
                    break;
                case '[':
                    var close = pattern.IndexOf(']', i + 2);
                    if (close < 0)
                    {
                        return $"unclosed [ at position {i + 1}";
                    }
                    var set = pattern[(i + 1)..close];
                    var negate = set.StartsWith('!') || set.StartsWith('^');
                    if (negate)
                    {
                        set = set[1..];
                    }
                    if (set.Length == 0)
                    {
                        return $"empty character class at position {i + 1}";
                    }
                    builder.Append(negate ? "[^/" : "[");
                    foreach (var member in set)
                    {
                        // '-' stays a range operator; everything else is literal inside the class.
                        builder.Append(member == '-' ? "-" : EscapeInClass(member));
                    }
                    builder.Append(']');
                    i = close;
                    break;
                case '{':
                    braceDepth++;
                    builder.Append("(?:");
                    break;
                case ',' when braceDepth > 0:
                    builder.Append('|');
                    break;
                case '}' when braceDepth > 0:
                    braceDepth--;
                    builder.Append(')');
                    break;
                case '\\':
                    if (i + 1 == pattern.Length)
                    {
                        return "a glob must not end with \\";
                    }
                    builder.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                default:
                    builder.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        if (braceDepth > 0)
        {
            return "unclosed {";
        }
        regex = builder.Append('$').ToString();
        return null;
    }

    private static char At(string text, int index) => index < text.Length ? text[index] : '\0';

    private static string EscapeInClass(char c) => c is '\\' or ']' or '[' or '^' ? "\\" + c : c.ToString();
}
