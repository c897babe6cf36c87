using System.Text.RegularExpressions;

namespace GitLabMrBot.Events;

/// <summary>Git ref and object-id facts a push payload needs (docs/gitlab-behaviour.md §2.2).</summary>
public static partial class GitRefs
{
    public const string BranchPrefix = "refs/heads/";

    /// <summary>
    /// GitLab's blank ref: <c>before</c> of a new branch, <c>after</c> of a deleted branch or tag. Matched as "all
    /// zeros" rather than a 40-character literal, so SHA-256 repositories (64 zeros) are recognised too.
    /// </summary>
    public static bool IsZeroSha(string? sha) => !string.IsNullOrEmpty(sha) && ZeroSha().IsMatch(sha);

    /// <summary>The branch name of <c>refs/heads/&lt;branch&gt;</c>; null for tags and anything else.</summary>
    public static string? BranchName(string? gitRef) =>
        gitRef is not null && gitRef.StartsWith(BranchPrefix, StringComparison.Ordinal) && gitRef.Length > BranchPrefix.Length
            ? gitRef[BranchPrefix.Length..]
            : null;

    [GeneratedRegex("^0+$", RegexOptions.CultureInvariant)]
    private static partial Regex ZeroSha();
}
