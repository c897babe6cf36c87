using System.Text.RegularExpressions;

namespace GitLabMrBot.Policies.CodeOwners;

/// <summary>
/// Extracts owner references from the owners part of a CODEOWNERS line with the same regular expressions as
/// GitLab's <c>Gitlab::CodeOwners::ReferenceExtractor</c> (so quirks such as <c>@user,@other</c> yielding two
/// names are kept). Ruby's <c>\s</c> and <c>\w</c> are ASCII classes, hence the explicit classes below.
/// </summary>
internal static partial class OwnerReferences
{
    // EMAIL_REGEXP: no anchoring, and the match must end on a word character.
    [GeneratedRegex(@"[^@ \t\r\n\f\v]{1,100}@[^@ \t\r\n\f\v]{1,255}(?<![^a-zA-Z0-9_])", RegexOptions.CultureInvariant)]
    private static partial Regex EmailRegex();

    // NAME_REGEXP: '@' not preceded by a word character or '@' (so '@@role' is not a name), then a full namespace
    // path (Gitlab::PathRegex::FULL_NAMESPACE_FORMAT_REGEX): segments that cannot start with '-', end with '.',
    // or end with '.git'/'.atom'.
    [GeneratedRegex(
        @"(?<![a-zA-Z0-9_@])@(?<name>(?:(?:[a-zA-Z0-9_.][a-zA-Z0-9_\-.]*[a-zA-Z0-9_\-]|[a-zA-Z0-9_])(?<!\.git|\.atom)/)*(?:[a-zA-Z0-9_.][a-zA-Z0-9_\-.]*[a-zA-Z0-9_\-]|[a-zA-Z0-9_])(?<!\.git|\.atom))",
        RegexOptions.CultureInvariant)]
    private static partial Regex NameRegex();

    // Roles: a whole word '@@developer', '@@maintainer' or '@@owner', an optional plural 's', any case.
    [GeneratedRegex(@"(?<=^|[ \t\r\n\f\v])@@(?<role>developer|maintainer|owner)s?(?=[ \t\r\n\f\v]|$)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex RoleRegex();

    /// <summary>All references in <paramref name="text"/>, in order of appearance, without duplicates.</summary>
    public static IReadOnlyList<CodeOwner> Extract(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var found = new List<(int Index, CodeOwner Owner)>();
        foreach (Match m in EmailRegex().Matches(text))
        {
            found.Add((m.Index, new CodeOwner(CodeOwnerKind.Email, m.Value)));
        }

        foreach (Match m in NameRegex().Matches(text))
        {
            found.Add((m.Index, new CodeOwner(CodeOwnerKind.Name, m.Groups["name"].Value)));
        }

        foreach (Match m in RoleRegex().Matches(text))
        {
            found.Add((m.Index, new CodeOwner(CodeOwnerKind.Role, m.Groups["role"].Value.ToLowerInvariant())));
        }

        if (found.Count == 0)
        {
            return [];
        }

        found.Sort((a, b) => a.Index.CompareTo(b.Index));
        var owners = new List<CodeOwner>(found.Count);
        foreach (var (_, owner) in found)
        {
            // GitLab compares names and emails case-insensitively when resolving them, so these are the same owner.
            if (!owners.Exists(o => o.Kind == owner.Kind && string.Equals(o.Value, owner.Value, StringComparison.OrdinalIgnoreCase)))
            {
                owners.Add(owner);
            }
        }

        return owners;
    }

    /// <summary>
    /// The references of <paramref name="text"/> word by word, which gives the same references as
    /// <see cref="Extract"/> on the whole text (no expression spans whitespace), plus the words that hold none.
    /// </summary>
    public static IReadOnlyList<CodeOwner> ExtractByWord(string text, out IReadOnlyList<string> malformedWords)
    {
        List<string>? malformed = null;
        List<CodeOwner>? owners = null;
        foreach (var word in text.Split(RubyWhitespace, StringSplitOptions.RemoveEmptyEntries))
        {
            var found = Extract(word);
            if (found.Count == 0)
            {
                (malformed ??= []).Add(word);
                continue;
            }

            owners ??= [];
            foreach (var owner in found)
            {
                if (!owners.Exists(o => o.Kind == owner.Kind && string.Equals(o.Value, owner.Value, StringComparison.OrdinalIgnoreCase)))
                {
                    owners.Add(owner);
                }
            }
        }

        malformedWords = malformed ?? (IReadOnlyList<string>)[];
        return owners ?? (IReadOnlyList<CodeOwner>)[];
    }

    /// <summary>Ruby's <c>\s</c>.</summary>
    internal static readonly char[] RubyWhitespace = [' ', '\t', '\r', '\n', '\f', '\v'];
}
