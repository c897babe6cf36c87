using System.Text.RegularExpressions;

namespace GitLabMrBot.UnitTests.Policies.Reviewers;

/// <summary>
/// Reviewer and assignee decisions are pure: nothing under Policies/Reviewers may reach GitLab, the stores, the
/// inbox or the reconciler that feeds it. A reference to any of them is a design error, not a style nit.
/// </summary>
public sealed partial class ReviewersLayeringTests
{
    [GeneratedRegex(@"\bGitLabMrBot\.(GitLab|Storage|Inbox|Processing)\b")]
    private static partial Regex Forbidden();

    private static string Folder => Path.Combine(PolicyTestKit.RepositoryRoot, "src", "GitLabMrBot", "Policies", "Reviewers");

    private static string[] Files() => [.. Directory.GetFiles(Folder, "*.cs").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    public static TheoryData<string> Sources() => [.. Files()];

    [Fact]
    public void The_folder_is_found() => Assert.Contains("PeopleDecider.cs", Files());

    [Theory]
    [MemberData(nameof(Sources))]
    public void Depends_on_no_IO_namespace(string file)
    {
        var text = File.ReadAllText(Path.Combine(Folder, file));

        Assert.Empty(Forbidden().Matches(text).Select(m => m.Value));
    }
}
