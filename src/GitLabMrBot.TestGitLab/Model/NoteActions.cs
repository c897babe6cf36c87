using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace GitLabMrBot.TestGitLab.Model;

/// <summary>
/// What a note body would make GitLab do besides showing text: the quick actions it runs, and the mentions,
/// references, links, raw HTML and invisible characters its Markdown would render. A conservative model of GitLab's
/// rules (docs/gitlab-behaviour.md, "Text from GitLab in notes"); it reports more than GitLab would act on, never less,
/// for the constructs it knows:
/// <list type="bullet">
/// <item>Quick actions: a line that starts with <c>/word</c> (GitLab's <c>Gitlab::QuickActions::Extractor</c>,
/// <c>lib/gitlab/quick_actions/extractor.rb</c>), outside fenced code.</item>
/// <item>Code spans (CommonMark: a backtick run closed by the next run of the same length) show their content
/// literally, and GitLab's reference filters skip every text node inside <c>pre</c>, <c>code</c>, <c>a</c> and
/// <c>style</c> (<c>ignore_ancestor_query</c> in <c>lib/banzai/filter/references/reference_filter.rb</c>).</item>
/// <item>A backslash-escaped reference character is kept as a literal in its own span, which the reference filters
/// skip (<c>REFERENCE_CHARS</c> and <c>escaped_char_spans</c> in <c>lib/banzai/filter/markdown_engines/glfm_markdown.rb</c>).</item>
/// <item>In the remaining text, after HTML entities are decoded (the filters see decoded text): user and group
/// mentions (<c>User.reference_pattern</c>: <c>@</c> not after a word character), issues <c>#1</c> (also
/// <c>group/project#1</c>), merge requests <c>!1</c>, labels <c>~x</c>, milestones <c>%x</c>, epics <c>&amp;1</c>,
/// snippets <c>$1</c>, URLs (autolinked, and turned into references when they point at GitLab), raw HTML
/// (a tag or comment), and control or format (bidirectional) characters.</item>
/// </list>
/// </summary>
public static partial class NoteActions
{
    private const char Literal = '\uE000';

    /// <summary>
    /// Everything the note would do, e.g. <c>mention @all</c>, <c>quick action /close</c>; empty when GitLab would only
    /// show text. The bot's own hidden marker (an HTML comment alone on the first line) is the bot's business and not reported.
    /// </summary>
    public static IReadOnlyList<string> Find(string body)
    {
        var found = new List<string>();
        var lines = body.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var start = lines.Length > 0 && BotMarker().IsMatch(lines[0]) ? 1 : 0;
        var inFence = false;
        foreach (var line in lines.Skip(start))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
                continue;
            }
            if (!inFence && QuickAction().Match(line) is { Success: true } action)
            {
                found.Add("quick action " + action.Value);
            }
        }

        foreach (var c in body)
        {
            if (char.IsControl(c) && c is not '\n' and not '\r' and not '\t' || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format)
            {
                found.Add($"invisible character U+{(int)c:X4}");
            }
        }

        var text = Decode(Outside(string.Join('\n', lines.Skip(start))));
        foreach (var (kind, pattern) in Patterns)
        {
            foreach (Match match in pattern.Matches(text))
            {
                found.Add($"{kind} {match.Value}");
            }
        }
        return found;
    }

    // The filters see text with entities decoded, HTML5 names included (WebUtility knows only HTML 4's).
    private static string Decode(string text) => WebUtility.HtmlDecode(text
        .Replace("&commat;", "@", StringComparison.Ordinal).Replace("&num;", "#", StringComparison.Ordinal)
        .Replace("&excl;", "!", StringComparison.Ordinal).Replace("&dollar;", "$", StringComparison.Ordinal)
        .Replace("&percnt;", "%", StringComparison.Ordinal).Replace("&tilde;", "~", StringComparison.Ordinal)
        .Replace("&sol;", "/", StringComparison.Ordinal).Replace("&colon;", ":", StringComparison.Ordinal));

    /// <summary>The text GitLab's reference filters scan: code spans and escaped characters replaced by a placeholder.</summary>
    internal static string Outside(string markdown)
    {
        var text = new StringBuilder(markdown.Length);
        for (var i = 0; i < markdown.Length; i++)
        {
            var c = markdown[i];
            if (c == '\\' && i + 1 < markdown.Length && char.IsAsciiLetterOrDigit(markdown[i + 1]) is false && markdown[i + 1] is > ' ' and < '\u007f')
            {
                text.Append(Literal);
                i++;
                continue;
            }
            if (c == '`')
            {
                var run = RunLength(markdown, i);
                var close = FindClosingRun(markdown, i + run, run);
                if (close >= 0)
                {
                    text.Append(Literal);
                    i = close + run - 1;
                    continue;
                }
                text.Append(markdown, i, run);
                i += run - 1;
                continue;
            }
            text.Append(c);
        }
        return text.ToString();
    }

    private static int RunLength(string text, int at)
    {
        var end = at;
        while (end < text.Length && text[end] == '`')
        {
            end++;
        }
        return end - at;
    }

    private static int FindClosingRun(string text, int from, int length)
    {
        for (var i = from; i < text.Length; i++)
        {
            if (text[i] != '`')
            {
                continue;
            }
            var run = RunLength(text, i);
            if (run == length)
            {
                return i;
            }
            i += run - 1;
        }
        return -1;
    }

    private static readonly (string Kind, Regex Pattern)[] Patterns =
    [
        ("mention", Mention()),
        ("issue", new Regex(@"#\d+", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)),
        ("merge request", new Regex(@"!\d+", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)),
        ("label", new Regex(@"~(?:""|\w)", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)),
        ("milestone", new Regex(@"%(?:""|\w)", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)),
        ("epic", new Regex(@"&\d+", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)),
        ("snippet", new Regex(@"\$\d+", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)),
        ("link", new Regex(@"(?i)(?:[a-z][a-z0-9+.-]*://|www\.)\S*", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)),
        ("html", new Regex(@"<[A-Za-z!/?]", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)),
    ];

    [GeneratedRegex(@"(?<!\w)@[A-Za-z0-9_.][A-Za-z0-9_.\-/]*", RegexOptions.CultureInvariant)]
    private static partial Regex Mention();

    [GeneratedRegex(@"^/[A-Za-z_]\w*", RegexOptions.CultureInvariant)]
    private static partial Regex QuickAction();

    [GeneratedRegex(@"^<!-- gitlab-mr-bot:[^>]* -->$", RegexOptions.CultureInvariant)]
    private static partial Regex BotMarker();
}
