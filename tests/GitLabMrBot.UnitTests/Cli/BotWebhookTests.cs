using GitLabMrBot.Cli;
using GitLabMrBot.GitLab;

namespace GitLabMrBot.UnitTests.Cli;

public sealed class BotWebhookTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("https://mrbot.example.com", "https://mrbot.example.com/webhooks/gitlab")]
    [InlineData("https://mrbot.example.com/", "https://mrbot.example.com/webhooks/gitlab")]
    [InlineData("https://example.com/bots/mr/", "https://example.com/bots/mr/webhooks/gitlab")]
    [InlineData("https://mrbot.example.com/webhooks/gitlab", "https://mrbot.example.com/webhooks/gitlab")]
    [InlineData("http://10.0.0.5:8080", "http://10.0.0.5:8080/webhooks/gitlab")]
    public void The_hook_url_is_the_public_url_plus_the_webhook_path(string publicUrl, string expected)
    {
        Assert.True(BotWebhook.TryParseHookUrl(publicUrl, out var hookUrl, out _));
        Assert.Equal(expected, hookUrl);
    }

    [Theory]
    [InlineData("mrbot.example.com")]
    [InlineData("ftp://mrbot.example.com")]
    [InlineData("https://mrbot.example.com/?x=1")]
    [InlineData("https://mrbot.example.com/#top")]
    public void A_public_url_that_is_not_a_plain_http_url_is_refused(string publicUrl)
    {
        Assert.False(BotWebhook.TryParseHookUrl(publicUrl, out _, out var error));
        Assert.Contains("--url", error, StringComparison.Ordinal);
    }

    // GitLab treats any other spelling of a hook's URL as a change that clears its token (docs/gitlab-behaviour.md §3.6):
    // a match is exact, and a trailing slash or letter case only makes the hook one to move, with the token.
    [Theory]
    [InlineData("https://mrbot.example.com/webhooks/gitlab", true, false)]
    [InlineData("https://MRBOT.example.com/webhooks/gitlab/", false, true)]
    [InlineData("https://mrbot.example.com/webhooks/gitlab/", false, true)]
    [InlineData("https://mrbot.example.com/Webhooks/GitLab", false, true)]
    [InlineData("https://mrbot.example.com/webhooks/gitlab2", false, false)]
    [InlineData("http://mrbot.example.com/webhooks/gitlab", false, false)]
    public void Hooks_match_on_their_exact_url_and_other_spellings_of_it_are_told_apart(string url, bool matches, bool spelledDifferently)
    {
        var hook = new GitLabHook { Id = 1, Url = url };

        Assert.Equal(matches, BotWebhook.Matches(hook, "https://mrbot.example.com/webhooks/gitlab"));
        Assert.Equal(spelledDifferently, BotWebhook.IsSpelledDifferently(hook, "https://mrbot.example.com/webhooks/gitlab"));
        Assert.Equal(matches || spelledDifferently, BotWebhook.PointsAtBot(hook, "https://mrbot.example.com/webhooks/gitlab"));
    }

    [Fact]
    public void Differences_name_every_missing_event_and_ssl_verification_on_https_only()
    {
        var off = new GitLabHook { Id = 1, Url = "https://b.example.com/webhooks/gitlab" };
        var right = off with { MergeRequestsEvents = true, PushEvents = true, NoteEvents = true, ConfidentialNoteEvents = true, EnableSslVerification = true };
        var plainHttp = right with { Url = "http://b.example.com/webhooks/gitlab", EnableSslVerification = false };

        Assert.Equal(["merge request events off", "push events off", "comment events off", "internal note events off", "SSL verification off"], BotWebhook.Differences(off));
        Assert.Equal(["internal note events off"], BotWebhook.Differences(right with { ConfidentialNoteEvents = false }));
        Assert.Empty(BotWebhook.Differences(right));
        Assert.Empty(BotWebhook.Differences(plainHttp));
    }

    [Fact]
    public void A_hook_is_disabled_by_its_alert_status_or_a_future_disabled_until()
    {
        var hook = new GitLabHook { Id = 1, AlertStatus = GitLabHook.Executable };

        Assert.Null(BotWebhook.DisabledReason(hook, Now));
        Assert.Null(BotWebhook.DisabledReason(hook with { DisabledUntil = Now.AddMinutes(-1) }, Now));
        Assert.Contains("until 2025-03-01 12:05:00 UTC", BotWebhook.DisabledReason(hook with { DisabledUntil = Now.AddMinutes(5) }, Now), StringComparison.Ordinal);
        Assert.Contains("temporarily", BotWebhook.DisabledReason(hook with { AlertStatus = GitLabHook.TemporarilyDisabled }, Now), StringComparison.Ordinal);
        Assert.Contains("permanently", BotWebhook.DisabledReason(hook with { AlertStatus = GitLabHook.Disabled }, Now), StringComparison.Ordinal);
    }

    [Fact]
    public void Generated_secrets_are_long_random_and_usable_in_the_settings_list()
    {
        var a = BotWebhook.NewSecret();
        var b = BotWebhook.NewSecret();

        Assert.Matches("^[0-9a-f]{64}$", a);
        Assert.NotEqual(a, b);
        Assert.True(BotWebhook.IsUsableSecret(a));
        Assert.False(BotWebhook.IsUsableSecret("a,b"));
        Assert.False(BotWebhook.IsUsableSecret("has space"));
        Assert.False(BotWebhook.IsUsableSecret("line\nbreak"));
    }

    [Theory]
    [InlineData("acme", "acme")]
    [InlineData("acme/platform/api", "acme%2Fplatform%2Fapi")]
    [InlineData("/acme/platform/", "acme%2Fplatform")]
    [InlineData("42", "42")]
    public void Group_ids_and_paths_become_one_path_segment(string idOrPath, string encoded) =>
        Assert.Equal(encoded, GitLabPaths.EncodeNamespacePath(idOrPath));
}
