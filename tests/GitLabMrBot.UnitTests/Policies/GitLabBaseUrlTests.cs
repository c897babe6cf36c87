using GitLabMrBot.Configuration;
using Microsoft.Extensions.Configuration;

namespace GitLabMrBot.UnitTests.Policies;

public sealed class GitLabBaseUrlTests
{
    [Theory]
    [InlineData("https://gitlab.internal", "https://gitlab.internal/")]
    [InlineData("http://gitlab.internal:8080/", "http://gitlab.internal:8080/")]
    [InlineData("https://example.org/gitlab/", "https://example.org/gitlab")]
    [InlineData("gitlab.internal", null)]
    [InlineData("ftp://gitlab.internal", null)]
    [InlineData("/gitlab", null)]
    public void Only_absolute_http_urls_are_GitLab_base_urls(string text, string? expected)
    {
        Assert.Equal(expected, GitLabBaseUrl.TryParse(text, out var url) ? url.AbsoluteUri : null);
    }

    [Fact]
    public void Serve_and_the_config_loader_read_gitlab_url_the_same_way()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mrbot-url-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "gitlab": { "url": "https://code.acme.test/gitlab/" } }""");
        try
        {
            var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                [BotSettings.ConfigPathKey] = path,
                [BotSettings.GitLabTokenKey] = "t",
                [BotSettings.WebhookSecretKey] = "s",
            }).Build();

            Assert.True(BotSettings.TryLoad(settings, out var loaded, out var problems), string.Join("\n", problems));
            var config = PolicyConfigLoader.LoadFile(path);

            Assert.True(config.IsValid);
            Assert.Equal(loaded!.GitLabUrl, config.Config.GitLabUrl);
            Assert.Equal("https://code.acme.test/gitlab", config.Config.GitLabUrl!.AbsoluteUri);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("https://gitlab.example.com", true)]
    [InlineData("https://example.com/", true)]
    [InlineData("https://gitlab.example.community", false)]
    [InlineData("not a url", false)]
    public void The_documentation_example_host_is_recognised(string text, bool expected)
    {
        Assert.Equal(expected, GitLabBaseUrl.IsDocumentationExample(text));
    }
}
