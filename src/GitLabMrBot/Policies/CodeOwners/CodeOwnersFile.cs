using System.Globalization;
using System.Text.RegularExpressions;

namespace GitLabMrBot.Policies.CodeOwners;

/// <summary>
/// A parsed CODEOWNERS file with GitLab's semantics (<c>ee/lib/gitlab/code_owners/file.rb</c>,
/// <c>section_parser.rb</c>, <c>reference_extractor.rb</c>). Immutable and safe to share between threads, so it
/// can be cached by commit. Owners stay typed references: expanding groups, roles and emails needs the API and
/// is the reviewer-selection step's job.
/// </summary>
public sealed partial class CodeOwnersFile
{
    /// <summary>Where GitLab looks for the file, in order; the first one found wins.</summary>
    public static IReadOnlyList<string> LookupOrder { get; } = ["CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"];

    /// <summary>The name GitLab gives the section of rules written before the first header (<c>Section::DEFAULT</c>).</summary>
    public const string DefaultSectionName = "codeowners";

    private readonly CodeOwnersMatcher matcher;

    private CodeOwnersFile(IReadOnlyList<CodeOwnersSection> sections, IReadOnlyList<CodeOwnersWarning> warnings)
    {
        Sections = sections;
        Warnings = warnings;
        matcher = new CodeOwnersMatcher(sections);
    }

    /// <summary>
    /// Every section in file order, the default section first (possibly without entries). Duplicate headers are
    /// merged into the first one.
    /// </summary>
    public IReadOnlyList<CodeOwnersSection> Sections { get; }

    /// <summary>Problems found while parsing, by line. Lines with problems are kept or skipped exactly as GitLab does.</summary>
    public IReadOnlyList<CodeOwnersWarning> Warnings { get; }

    /// <summary>True when no section holds a rule (GitLab's <c>empty?</c>).</summary>
    public bool IsEmpty => Sections.All(s => s.Entries.Count == 0);

    /// <summary>An empty file: no rule matches anything.</summary>
    public static CodeOwnersFile Empty { get; } = Parse(string.Empty);

    /// <summary>
    /// The rule each section contributes to <paramref name="path"/> (repository-relative, with or without a leading
    /// <c>/</c>), in section order: within a section the last matching rule wins, and a matching <c>!</c> exclusion
    /// means the section contributes nothing.
    /// </summary>
    public IReadOnlyList<OwnerMatch> Match(string path) => matcher.Match(path);

    /// <summary>The matches of each path, in the order given. Built for a whole merge request's changed paths at once.</summary>
    public IReadOnlyList<PathOwners> MatchAll(IEnumerable<string> paths) => matcher.MatchAll(paths);

    /// <summary>The same answer as <see cref="Match"/> by GitLab's unindexed algorithm; for verification and benchmarks.</summary>
    internal IReadOnlyList<OwnerMatch> MatchByFullScan(string path) => matcher.MatchByFullScan(path);

    // SectionParser::HEADER_REGEX: not anchored at the end, so anything may follow a header; owners on the header
    // line are only the run of name/email/role characters after it. Ruby's \s, \w and \d are ASCII.
    [GeneratedRegex(@"\A(?<optional>\^)?\[(?<name>.*?)\](?:\[(?<approvals>[0-9]*?)\])?(?<owners>[ \t\r\n\f\v]+[@a-zA-Z0-9_.\-/ \t\r\n\f\v+]*)?", RegexOptions.CultureInvariant)]
    private static partial Regex HeaderRegex();

    // SectionParser::REGEX_INVALID_SECTION: a '[' that is never closed.
    [GeneratedRegex(@"\A\^?\[[^\]]+?\z", RegexOptions.CultureInvariant)]
    private static partial Regex UnclosedHeaderRegex();

    // The first run of whitespace not preceded by a backslash separates the pattern from the owners.
    [GeneratedRegex(@"(?<!\\)[ \t\r\n\f\v]+", RegexOptions.CultureInvariant)]
    private static partial Regex PatternSeparatorRegex();

    [GeneratedRegex(@"\\[ \t\r\n\f\v]+", RegexOptions.CultureInvariant)]
    private static partial Regex EscapedWhitespaceRegex();

    /// <summary>Ruby's <c>String#strip</c> set: whitespace and NUL.</summary>
    private static readonly char[] RubyStripChars = ['\0', ' ', '\t', '\n', '\v', '\f', '\r'];

    /// <summary>Parses CODEOWNERS text. Never throws on bad input: problems become <see cref="Warnings"/>.</summary>
    public static CodeOwnersFile Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        var warnings = new List<CodeOwnersWarning>();
        var sections = new List<SectionBuilder> { new(DefaultSectionName) };
        var header = new Header(DefaultSectionName, Optional: false, Approvals: 0, DefaultOwners: string.Empty);

        // Ruby's String#lines splits on "\n" only; a "\r" before it is removed by strip.
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.Trim(RubyStripChars);
            if (line.Length == 0 || line.All(char.IsWhiteSpace) || line[0] == '#')
            {
                continue;
            }

            var parsedHeader = ParseHeader(line, lineNumber, sections, warnings);
            if (parsedHeader is not null)
            {
                header = parsedHeader;
                if (!sections.Exists(s => s.Name == header.Name))
                {
                    sections.Add(new SectionBuilder(header.Name));
                }

                continue;
            }

            if (UnclosedHeaderRegex().IsMatch(line))
            {
                Warn(warnings, lineNumber, CodeOwnersWarningKind.InvalidSectionFormat, $"'{line}' is not a valid section header (no closing ']'); read as a rule");
            }

            var entry = ParseEntry(line, lineNumber, header, warnings);
            sections.Find(s => s.Name == header.Name)!.Add(entry);
        }

        return new CodeOwnersFile([.. sections.Select(s => s.Build())], warnings);
    }

    private static Header? ParseHeader(string line, int lineNumber, List<SectionBuilder> sections, List<CodeOwnersWarning> warnings)
    {
        var match = HeaderRegex().Match(line);
        if (!match.Success)
        {
            return null;
        }

        var name = match.Groups["name"].Value;
        var optional = match.Groups["optional"].Success;
        var approvals = ParseApprovals(match.Groups["approvals"].Value);
        var defaultOwners = match.Groups["owners"].Value.Trim(RubyStripChars);

        if (name.Trim().Length == 0)
        {
            Warn(warnings, lineNumber, CodeOwnersWarningKind.MissingSectionName, "section header has no name");
        }

        if (optional && approvals > 0)
        {
            Warn(warnings, lineNumber, CodeOwnersWarningKind.InvalidApprovalRequirement, $"optional section '{name}' cannot require {approvals} approvals; it requires none");
        }

        if (defaultOwners.Length > 0 && OwnerReferences.Extract(defaultOwners).Count == 0)
        {
            Warn(warnings, lineNumber, CodeOwnersWarningKind.InvalidSectionOwnerFormat, $"default owners '{defaultOwners}' of section '{name}' hold no @name, @@role or email");
        }

        return new Header(FindSectionName(name, sections), optional, approvals, defaultOwners);
    }

    /// <summary>
    /// GitLab merges a header into an earlier section of the same name regardless of case, keeping the first
    /// spelling, except while no named section exists yet (SectionParser#find_section_name).
    /// </summary>
    private static string FindSectionName(string name, List<SectionBuilder> sections)
    {
        if (sections[^1].Name == DefaultSectionName)
        {
            return name;
        }

        return sections.Find(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))?.Name ?? name;
    }

    private static int ParseApprovals(string digits)
    {
        // Ruby's to_i: empty is 0; a huge number stays huge, which an int caps.
        if (digits.Length == 0)
        {
            return 0;
        }

        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue;
    }

    private static CodeOwnersEntry ParseEntry(string line, int lineNumber, Header header, List<CodeOwnersWarning> warnings)
    {
        var separator = PatternSeparatorRegex().Match(line);
        var pattern = separator.Success ? line[..separator.Index] : line;
        var ownersText = separator.Success ? line[(separator.Index + separator.Length)..] : string.Empty;

        var isExclusion = pattern.StartsWith('!');
        if (isExclusion)
        {
            pattern = pattern[1..];
        }

        IReadOnlyList<CodeOwner> owners = [];
        if (!isExclusion)
        {
            var lineOwners = OwnerReferences.ExtractByWord(ownersText, out var malformedWords);
            foreach (var word in malformedWords)
            {
                Warn(warnings, lineNumber, CodeOwnersWarningKind.MalformedEntryOwner, $"'{word}' is not an owner (@name, @@role or email); ignored");
            }

            // Owners on the line replace the section's default owners entirely, even when none of them is valid.
            if (ownersText.Length > 0)
            {
                owners = lineOwners;
            }
            else if (header.DefaultOwners.Length > 0)
            {
                owners = header.Owners;
            }
            else
            {
                Warn(warnings, lineNumber, CodeOwnersWarningKind.MissingEntryOwner, $"rule '{pattern}' has no owners");
            }

            if (ownersText.Length > 0 && owners.Count == 0)
            {
                Warn(warnings, lineNumber, CodeOwnersWarningKind.NoValidOwners, $"rule '{pattern}' has no valid owner; nobody owns what it matches");
            }
        }

        return new CodeOwnersEntry(
            header.Name,
            pattern,
            NormalizePattern(pattern),
            lineNumber,
            owners,
            isExclusion,
            header.Optional,
            header.Approvals);
    }

    /// <summary>GitLab's <c>normalize_pattern</c>: unescape, then anchor and expand to an fnmatch pattern.</summary>
    internal static string NormalizePattern(string pattern)
    {
        if (pattern == "*")
        {
            return "/**/*";
        }

        if (pattern.StartsWith("\\#", StringComparison.Ordinal))
        {
            pattern = pattern[1..];
        }

        pattern = EscapedWhitespaceRegex().Replace(pattern, " ");

        // Without a leading '/', a pattern matches at any depth.
        if (!pattern.StartsWith('/'))
        {
            pattern = "/**/" + pattern;
        }

        // A trailing '/' means the directory and everything below it.
        if (pattern.EndsWith('/'))
        {
            pattern += "**/*";
        }

        return pattern;
    }

    private static void Warn(List<CodeOwnersWarning> warnings, int line, CodeOwnersWarningKind kind, string reason) =>
        warnings.Add(new CodeOwnersWarning(line, kind, reason));

    private sealed record Header(string Name, bool Optional, int Approvals, string DefaultOwners)
    {
        public IReadOnlyList<CodeOwner> Owners { get; } = OwnerReferences.Extract(DefaultOwners);
    }

    /// <summary>Collects a section's rules the way GitLab's Ruby hash does: keyed by normalized pattern, first position, last value.</summary>
    private sealed class SectionBuilder(string name)
    {
        private readonly List<CodeOwnersEntry> entries = [];
        private readonly Dictionary<string, int> positionByPattern = new(StringComparer.Ordinal);

        public string Name { get; } = name;

        public void Add(CodeOwnersEntry entry)
        {
            if (positionByPattern.TryGetValue(entry.NormalizedPattern, out var position))
            {
                entries[position] = entry;
            }
            else
            {
                positionByPattern[entry.NormalizedPattern] = entries.Count;
                entries.Add(entry);
            }
        }

        // GitLab's optional_section?: optional only when every rule came from an optional header.
        public CodeOwnersSection Build() =>
            new(Name, entries.Count > 0 && entries.TrueForAll(e => e.Optional), entries.AsReadOnly());
    }
}
