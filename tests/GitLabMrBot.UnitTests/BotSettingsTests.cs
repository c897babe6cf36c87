using GitLabMrBot.Configuration;
using Microsoft.Extensions.Configuration;

namespace GitLabMrBot.UnitTests;

public sealed class BotSettingsTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();

    [Fact]
    public void Missing_settings_are_all_named_with_how_to_set_them()
    {
        var ok = BotSettings.TryLoad(Config((BotSettings.ConfigPathKey, "/nonexistent/bot.config.json")), out var settings, out var problems);

        Assert.False(ok);
        Assert.Null(settings);
        var text = BotSettings.DescribeProblems(problems);
        Assert.Contains("GITLAB_URL", text);
        Assert.Contains("GITLAB_TOKEN", text);
        Assert.Contains("GITLAB_WEBHOOK_SECRET", text);
        Assert.Contains("export", text);
    }

    [Fact]
    public void Secret_list_is_split_for_rotation_and_never_printed()
    {
        var ok = BotSettings.TryLoad(
            Config(("GITLAB_URL", "https://gitlab.example.com/"), ("GITLAB_TOKEN", "glpat-topsecret"), ("GITLAB_WEBHOOK_SECRET", "old-secret, new-secret")),
            out var settings,
            out _);

        Assert.True(ok);
        Assert.Equal(["old-secret", "new-secret"], settings!.WebhookSecrets);
        Assert.Equal("https://gitlab.example.com/", settings.GitLabUrl.ToString());
        Assert.DoesNotContain("secret", settings.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("glpat", settings.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Signing_token_must_be_whsec_base64()
    {
        var ok = BotSettings.TryLoad(
            Config(("GITLAB_URL", "https://gitlab.example.com"), ("GITLAB_TOKEN", "t"), ("GITLAB_WEBHOOK_SECRET", "s"), ("GITLAB_WEBHOOK_SIGNING_TOKEN", "not-a-token")),
            out _,
            out var problems);

        Assert.False(ok);
        Assert.Single(problems);
        Assert.Contains("GITLAB_WEBHOOK_SIGNING_TOKEN", problems[0]);
        Assert.DoesNotContain("not-a-token", problems[0]);
    }

    [Fact]
    public void The_example_host_of_the_shipped_config_file_does_not_count_as_a_GitLab_url()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mrbot-settings-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "gitlab": { "url": "https://gitlab.example.com" } }""");
        try
        {
            var fromFile = BotSettings.TryLoad(
                Config((BotSettings.ConfigPathKey, path), ("GITLAB_TOKEN", "t"), ("GITLAB_WEBHOOK_SECRET", "s")), out _, out var problems);
            var fromEnvironment = BotSettings.TryLoad(
                Config((BotSettings.ConfigPathKey, path), ("GITLAB_URL", "https://gitlab.internal"), ("GITLAB_TOKEN", "t"), ("GITLAB_WEBHOOK_SECRET", "s")), out var settings, out _);

            Assert.False(fromFile);
            Assert.Contains("GITLAB_URL is not set", Assert.Single(problems));
            Assert.True(fromEnvironment);
            Assert.Equal("gitlab.internal", settings!.GitLabUrl.Host);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void GITLAB_URL_overrides_the_gitlab_url_of_the_config_file_and_the_file_counts_without_it()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mrbot-settings-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "gitlab": { "url": "https://gitlab.from-file.internal" } }""");
        try
        {
            Assert.True(BotSettings.TryLoad(
                Config((BotSettings.ConfigPathKey, path), ("GITLAB_TOKEN", "t"), ("GITLAB_WEBHOOK_SECRET", "s")), out var fromFile, out _));
            Assert.True(BotSettings.TryLoad(
                Config((BotSettings.ConfigPathKey, path), ("GITLAB_URL", "https://gitlab.from-env.internal"), ("GITLAB_TOKEN", "t"), ("GITLAB_WEBHOOK_SECRET", "s")), out var fromEnvironment, out _));

            Assert.Equal("gitlab.from-file.internal", fromFile!.GitLabUrl.Host);
            Assert.Equal("gitlab.from-env.internal", fromEnvironment!.GitLabUrl.Host);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
