using GitLabMrBot.Policies.CodeOwners;

namespace GitLabMrBot.UnitTests.Policies.CodeOwners;

/// <summary>Short ways to state what a CODEOWNERS file gives a path.</summary>
internal static class CodeOwnersAssert
{
    /// <summary>Parses <paramref name="lines"/> as one file.</summary>
    public static CodeOwnersFile File(params string[] lines) => CodeOwnersFile.Parse(string.Join('\n', lines));

    /// <summary>Each matching section of the path as "Section: owner owner" (owners as written, e.g. "@user", "@@maintainer").</summary>
    public static string[] Describe(CodeOwnersFile file, string path) =>
        [.. file.Match(path).Select(m => $"{m.Section}: {string.Join(' ', m.Owners)}")];

    /// <summary>Asserts the sections and owners the path gets, and that the unindexed GitLab algorithm agrees.</summary>
    public static void Owns(CodeOwnersFile file, string path, params string[] expected)
    {
        Assert.Equal(expected, Describe(file, path));
        Assert.Equal(file.MatchByFullScan(path), file.Match(path));
    }

    /// <summary>The pattern (as written) of the rule that wins the path in <paramref name="section"/>.</summary>
    public static string? WinningPattern(CodeOwnersFile file, string path, string section) =>
        file.Match(path).SingleOrDefault(m => m.Section == section)?.Pattern;

    public static CodeOwnersSection Section(CodeOwnersFile file, string name) => Assert.Single(file.Sections, s => s.Name == name);
}
