using System.Reflection;
using GitLabMrBot.GitLab;
using Refit;

namespace GitLabMrBot.UnitTests.GitLab;

/// <summary>Issue 13: GitLab calls are counted and traced by endpoint template, never by a raw path.</summary>
public sealed class GitLabCallTemplateTests
{
    public static TheoryData<string> Routes()
    {
        var data = new TheoryData<string>();
        foreach (var path in typeof(IGitLabApi).GetMethods().Select(m => m.GetCustomAttribute<HttpMethodAttribute>()?.Path).OfType<string>().Distinct())
        {
            data.Add(path);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public void Item1_every_route_of_the_client_becomes_a_template_with_GitLab_style_placeholders(string route)
    {
        var template = GitLabCallTemplate.FromRefit(route);

        Assert.DoesNotContain("{", template, StringComparison.Ordinal);
        Assert.StartsWith("/", template, StringComparison.Ordinal);
        Assert.All(template.Split('/').Where(s => s.StartsWith(':')), s => Assert.Matches("^:[a-z_]+$", s));
    }

    [Theory]
    [InlineData("/projects/{projectId}/merge_requests/{iid}", "/projects/:id/merge_requests/:iid")]
    [InlineData("/projects/{projectId}/merge_requests/{iid}/notes/{noteId}", "/projects/:id/merge_requests/:iid/notes/:note_id")]
    [InlineData("/projects/{projectId}/repository/files/{encodedFilePath}/raw", "/projects/:id/repository/files/:file_path/raw")]
    [InlineData("/users/{userId}/status", "/users/:user_id/status")]
    [InlineData("/user", "/user")]
    public void Item1_a_route_reads_as_GitLab_documents_it(string route, string expected) =>
        Assert.Equal(expected, GitLabCallTemplate.FromRefit(route));

    [Theory]
    [InlineData("/api/v4/projects/42/merge_requests/7", "/projects/:id/merge_requests/:id")]
    [InlineData("/gitlab/api/v4/projects/acme%2Fapp/repository/files/docs%2Fa.md/raw", "/projects/:id/repository/files/:id/raw")]
    [InlineData("/api/v4/user", "/user")]
    public void Item1_a_call_without_a_template_shows_no_id_or_name(string path, string expected) =>
        Assert.Equal(expected, GitLabCallTemplate.Normalize(path));
}
