using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace GitLabMrBot.Policies;

/// <summary>
/// The one way text from GitLab (titles, branch names, usernames, paths, descriptions) enters a note the bot writes:
/// shown as the literal text, never acting (docs/gitlab-behaviour.md, "Text from GitLab in notes"). GitLab finds
/// mentions (<c>@user</c>, <c>@all</c>), references (<c>#1</c>, <c>!1</c>, <c>~label</c>, <c>%milestone</c>,
/// <c>&amp;epic</c>, <c>$snippet</c>, <c>group/project#1</c>, links to its own pages) in the text of the rendered note,
/// but never inside a code span, and treats a backslash-escaped reference character as a literal; it runs a line that
/// starts with <c>/</c> as a quick action before rendering anything.
/// </summary>
/// <remarks>
/// Two renderings share the same cleaning (control and bidirectional characters shown as U+FFFD, line breaks as spaces,
/// a length cap with an ellipsis): <see cref="Code"/> for a value on its own (template output, labels, usernames), and
/// <see cref="Escape"/> for a sentence that mixes the bot's words with values (the summary's reasons).
/// </remarks>
public static partial class InertText
{
    /// <summary>Longest value a template writes, in characters, before the ellipsis.</summary>
    public const int MaxValueLength = 200;

    /// <summary>Longest sentence (a reason in the summary) before the ellipsis.</summary>
    public const int MaxSentenceLength = 1000;

    private const char Ellipsis = '…';
    private const char Replacement = '\uFFFD';

    /// <summary>
    /// The value as a Markdown code span whose fence is longer than any backtick run inside it, so nothing in it can
    /// close the span early: GitLab shows its content as written (HTML, <c>@all</c>, <c>#1</c>, URLs) and links nothing.
    /// Empty for an empty value (an empty span would show its backticks).
    /// </summary>
    /// <param name="inTable">The span sits in a table cell: GFM splits cells at <c>|</c> even inside code, unless escaped.</param>
    public static string Code(string value, int maxLength = MaxValueLength, bool inTable = false)
    {
        var content = Clean(value, maxLength);
        if (content.Length == 0)
        {
            return "";
        }
        if (inTable)
        {
            content = content.Replace("|", "\\|", StringComparison.Ordinal);
        }
        var fence = new string('`', LongestBacktickRun(content) + 1);
        // CommonMark strips one space from each end when both are there, and a content starting or ending with a
        // backtick would merge with the fence: a space on each side keeps the content exactly as it is.
        var pad = content[0] == '`' || content[^1] == '`' || (content[0] == ' ' && content[^1] == ' ' && content.Trim().Length > 0);
        return pad ? $"{fence} {content} {fence}" : fence + content + fence;
    }

    /// <summary>
    /// A sentence as Markdown text: Markdown punctuation and GitLab's reference characters backslash-escaped (GitLab
    /// keeps an escaped reference character as a literal, not a reference), URLs as code spans (an escape does not stop
    /// an autolink, a code span does), line breaks as spaces.
    /// </summary>
    public static string Escape(string text, int maxLength = MaxSentenceLength)
    {
        var clean = Clean(text, maxLength);
        var builder = new StringBuilder(clean.Length + 16);
        var last = 0;
        foreach (Match url in UrlPattern().Matches(clean))
        {
            EscapeInto(builder, clean.AsSpan(last, url.Index - last));
            builder.Append(Code(url.Value, int.MaxValue));
            last = url.Index + url.Length;
        }
        EscapeInto(builder, clean.AsSpan(last));
        return builder.ToString();
    }

    /// <summary>
    /// GitLab runs a line starting with <c>/</c> as a quick action (<c>/close</c>, <c>/label</c>…) when a note is
    /// posted: a backslash keeps such lines as text (Markdown renders <c>\/</c> as <c>/</c>). Applied to a whole note.
    /// </summary>
    public static string EscapeQuickActions(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].TrimStart(' ', '\t');
            if (trimmed.StartsWith('/'))
            {
                lines[i] = lines[i][..(lines[i].Length - trimmed.Length)] + "\\" + trimmed;
            }
        }
        return string.Join('\n', lines);
    }

    /// <summary>
    /// One line of text, at most <paramref name="maxLength"/> characters: line breaks and tabs become spaces; control,
    /// format (bidirectional overrides and isolates, zero-width joiners, BOM) and unpaired surrogate characters become
    /// U+FFFD, so what a reader sees is what the text says; a longer text is cut and ends with an ellipsis.
    /// </summary>
    public static string Clean(string value, int maxLength = MaxValueLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        var builder = new StringBuilder(Math.Min(value.Length, maxLength) + 1);
        var count = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (count >= maxLength)
            {
                // Cut before the last character to leave room for the ellipsis, never inside a surrogate pair.
                builder.Length -= char.IsLowSurrogate(builder[^1]) ? 2 : 1;
                builder.Append(Ellipsis);
                return builder.ToString();
            }
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                var category = CharUnicodeInfo.GetUnicodeCategory(value, i);
                if (category is UnicodeCategory.Format or UnicodeCategory.PrivateUse)
                {
                    builder.Append(Replacement);
                }
                else
                {
                    builder.Append(c).Append(value[i + 1]);
                }
                i++;
                count++;
                continue;
            }
            builder.Append(CharUnicodeInfo.GetUnicodeCategory(c) switch
            {
                _ when c is '\r' or '\n' or '\t' => ' ',
                UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => ' ',
                UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse => Replacement,
                _ => c,
            });
            count++;
        }
        return builder.ToString();
    }

    private static void EscapeInto(StringBuilder builder, ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            // Markdown punctuation that formats, and every character GitLab treats as a reference prefix.
            if (c is '\\' or '`' or '*' or '_' or '|' or '<' or '>' or '[' or ']' or '#' or '!' or '@' or '~' or '%' or '$' or '&')
            {
                builder.Append('\\');
            }
            builder.Append(c);
        }
    }

    private static int LongestBacktickRun(string text)
    {
        int longest = 0, run = 0;
        foreach (var c in text)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        return longest;
    }

    // What GitLab's Markdown turns into a link by itself: a scheme followed by "//", or a bare "www." host (relaxed autolinks).
    [GeneratedRegex(@"(?i)(?<![\w.+-])(?:[a-z][a-z0-9+.-]{1,31}://|www\.)[^\s]+", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPattern();
}
