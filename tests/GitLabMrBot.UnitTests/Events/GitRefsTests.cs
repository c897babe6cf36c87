using GitLabMrBot.Events;

namespace GitLabMrBot.UnitTests.Events;

public sealed class GitRefsTests
{
    [Theory]
    [InlineData("0000000000000000000000000000000000000000")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("0")]
    public void All_zeros_of_any_length_is_the_blank_ref(string sha) => Assert.True(GitRefs.IsZeroSha(sha));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("da1560886d4f094c3e6c9ef40349f7d38b5d27d7")]
    [InlineData("0000000000000000000000000000000000000001")]
    [InlineData("00000000 ")]
    public void Anything_else_is_not(string? sha) => Assert.False(GitRefs.IsZeroSha(sha));

    [Theory]
    [InlineData("refs/heads/main", "main")]
    [InlineData("refs/heads/feature/x", "feature/x")]
    [InlineData("refs/tags/v1.0", null)]
    [InlineData("refs/heads/", null)]
    [InlineData("main", null)]
    public void Branch_name_only_for_branch_refs(string gitRef, string? branch) => Assert.Equal(branch, GitRefs.BranchName(gitRef));
}
