using System.Text;
using System.Text.RegularExpressions;

namespace GitLabMrBot.Processing;

/// <summary>A command a member can give the bot in an MR comment.</summary>
public enum BotCommand
{
    /// <summary><c>@bot recheck</c>: evaluate the MR again now.</summary>
    Recheck,

    /// <summary><c>@bot help</c>: reply with the commands.</summary>
    Help,
}

/// <summary>
/// Finds <c>@&lt;bot&gt; &lt;command&gt;</c> in a comment's Markdown. Text someone quoted (<c>&gt;</c> lines, GitLab's
/// <c>&gt;&gt;&gt;</c> blocks) or wrote as code (fenced or indented blocks, inline code) is never a command:
/// quoting a command or showing how to use it must not run it. Pure.
/// </summary>
public static partial class BotCommandParser
{
    /// <summary>The commands, in the order first given, each once; empty when the comment gives none.</summary>
    public static IReadOnlyList<BotCommand> Parse(string? body, string botUsername)
    {
        if (string.IsNullOrEmpty(body) || string.IsNullOrEmpty(botUsername) || !body.Contains('@', StringComparison.Ordinal))
        {
            return [];
        }

        var mention = new Regex(
            $@"(?<![\w@./+-])@{Regex.Escape(botUsername)}(?![\w.-]*\w)[:,]?[ \t]+(?<command>[A-Za-z]+)\b",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant,
            TimeSpan.FromSeconds(1));
        var commands = new List<BotCommand>();
        foreach (var line in CommandableLines(body))
        {
            foreach (Match match in mention.Matches(line))
            {
                if (Enum.TryParse<BotCommand>(match.Groups["command"].Value, ignoreCase: true, out var command)
                    && Enum.IsDefined(command)
                    && !commands.Contains(command))
                {
                    commands.Add(command);
                }
            }
        }
        return commands;
    }

    /// <summary>The comment's lines that are neither quotes nor code, with inline code spans blanked out.</summary>
    internal static IEnumerable<string> CommandableLines(string body)
    {
        string? fence = null;       // the opening ``` / ~~~ run of the fenced block we are in
        var inQuoteBlock = false;   // inside GitLab's multi-line >>> quote
        var previousBlank = true;   // an indented code block starts only after a blank line (CommonMark)
        var inIndentedCode = false;

        foreach (var raw in body.ReplaceLineEndings("\n").Split('\n'))
        {
            var indent = LeadingIndent(raw);
            var trimmed = raw.TrimStart(' ', '\t');

            if (fence is not null)
            {
                if (indent < 4 && trimmed.StartsWith(fence, StringComparison.Ordinal) && trimmed.TrimEnd().Trim(fence[0]).Length == 0)
                {
                    fence = null;
                }
                continue;
            }
            if (indent < 4 && FenceOpening().Match(trimmed) is { Success: true } opening)
            {
                fence = opening.Value;
                continue;
            }
            if (indent < 4 && trimmed.StartsWith(">>>", StringComparison.Ordinal) && trimmed.TrimEnd() == ">>>")
            {
                inQuoteBlock = !inQuoteBlock;
                continue;
            }
            if (inQuoteBlock)
            {
                continue;
            }

            var blank = trimmed.Length == 0;
            if (indent >= 4 && !blank && (previousBlank || inIndentedCode))
            {
                inIndentedCode = true;
                previousBlank = false;
                continue;
            }
            if (!blank)
            {
                inIndentedCode = false;
            }
            previousBlank = blank;

            if (blank || (indent < 4 && trimmed.StartsWith('>')))
            {
                continue;
            }
            yield return WithoutInlineCode(raw);
        }
    }

    private static int LeadingIndent(string line)
    {
        var width = 0;
        foreach (var c in line)
        {
            if (c == ' ')
            {
                width++;
            }
            else if (c == '\t')
            {
                width += 4 - (width % 4);
            }
            else
            {
                break;
            }
        }
        return width;
    }

    /// <summary>Blanks every <c>`…`</c> span (a run of N backticks closed by a run of exactly N).</summary>
    private static string WithoutInlineCode(string line)
    {
        if (!line.Contains('`', StringComparison.Ordinal))
        {
            return line;
        }
        var result = new StringBuilder(line.Length);
        var i = 0;
        while (i < line.Length)
        {
            if (line[i] != '`')
            {
                result.Append(line[i++]);
                continue;
            }
            var runLength = RunLength(line, i);
            var close = FindClosingRun(line, i + runLength, runLength);
            if (close < 0)
            {
                // An unmatched run is literal backticks (CommonMark); what follows is ordinary text.
                result.Append(line, i, runLength);
                i += runLength;
                continue;
            }
            result.Append(' ', close + runLength - i);
            i = close + runLength;
        }
        return result.ToString();
    }

    private static int RunLength(string line, int start)
    {
        var end = start;
        while (end < line.Length && line[end] == '`')
        {
            end++;
        }
        return end - start;
    }

    private static int FindClosingRun(string line, int from, int length)
    {
        for (var i = from; i < line.Length;)
        {
            if (line[i] != '`')
            {
                i++;
                continue;
            }
            var run = RunLength(line, i);
            if (run == length)
            {
                return i;
            }
            i += run;
        }
        return -1;
    }

    [GeneratedRegex("^(```+|~~~+)", RegexOptions.CultureInvariant)]
    private static partial Regex FenceOpening();
}
