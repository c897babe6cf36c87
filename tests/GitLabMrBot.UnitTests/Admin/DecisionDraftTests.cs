using GitLabMrBot.Cli;
using GitLabMrBot.Processing.Reconciliation;

namespace GitLabMrBot.UnitTests.Admin;

/// <summary>Issue 13 item 5: how the decision log names a project, and how <c>mrbot explain</c> reads its target.</summary>
public sealed class DecisionDraftTests
{
    [Theory]
    [InlineData("https://gitlab.example.com/acme/app/-/merge_requests/7", "https://gitlab.example.com", "acme/app")]
    [InlineData("https://gitlab.example.com/acme/sub/app/-/merge_requests/7", "https://gitlab.example.com/", "acme/sub/app")]
    [InlineData("https://example.com/gitlab/acme/app/-/merge_requests/7", "https://example.com/gitlab", "acme/app")]
    [InlineData("https://example.com/gitlab/acme/app/-/merge_requests/7", "https://example.com/gitlab/", "acme/app")]
    [InlineData("https://gitlab.example.com/acme/app/merge_requests/7", "https://gitlab.example.com", "acme/app")]
    [InlineData("", "https://gitlab.example.com", null)]
    [InlineData("https://gitlab.example.com/acme/app", "https://gitlab.example.com", null)]
    public void Item5_the_project_path_is_read_from_the_MR_web_URL_below_GitLabs_own_prefix(string webUrl, string gitLab, string? expected) =>
        Assert.Equal(expected, DecisionDraft.ProjectPath(webUrl, new Uri(gitLab)));

    [Theory]
    [InlineData("acme/app!42", "acme/app", 42L)]
    [InlineData("acme/sub/app!1", "acme/sub/app", 1L)]
    [InlineData("1234!7", "1234", 7L)]
    [InlineData("/acme/app/!3", "acme/app", 3L)]
    public void Item5_explain_reads_GROUP_PROJECT_IID_and_PROJECTID_IID(string target, string project, long iid)
    {
        Assert.True(ExplainCommand.TryParse(target, out var parsedProject, out var parsedIid));
        Assert.Equal((project, iid), (parsedProject, parsedIid));
    }

    [Theory]
    [InlineData("acme/app")]
    [InlineData("acme/app!")]
    [InlineData("!4")]
    [InlineData("acme/app!x")]
    [InlineData("acme/app!0")]
    public void Item5_explain_refuses_a_target_without_an_MR(string target) =>
        Assert.False(ExplainCommand.TryParse(target, out _, out _));
}
