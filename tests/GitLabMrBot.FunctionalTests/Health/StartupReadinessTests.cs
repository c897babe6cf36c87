using System.Net;
using System.Text.Json;
using GitLabMrBot.Configuration;
using GitLabMrBot.FunctionalTests.EndToEnd;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GitLabMrBot.FunctionalTests.Health;

/// <summary>Issue 13 item 4: start-up and readiness tell the truth about GitLab and the store.</summary>
public sealed class StartupReadinessTests
{
    // GitLab at a closed port answers nothing; quick retries keep the start-up look short.
    private static readonly Dictionary<string, string?> FastGitLabRetries = new()
    {
        ["GitLab:RetryBaseDelay"] = "00:00:00.010",
        ["GitLab:MaxRetryDelay"] = "00:00:00.050",
    };

    [Fact]
    public async Task Item4_at_start_the_bot_says_once_who_it_is_on_GitLab_and_readyz_reports_it()
    {
        await using var env = await BotWithGitLab.StartAsync();

        await Eventually.HoldsAsync(() => env.Bot.Logs.Entries.Any(e => e.Message.Contains("answers: the bot is @mrbot", StringComparison.Ordinal)), "the start-up line");
        var body = await ReadyAsync(env.Bot, HttpStatusCode.OK);

        Assert.Single(env.Bot.Logs.Entries, e => e.Category.EndsWith("GitLabReachability", StringComparison.Ordinal));
        Assert.True(body.GetProperty("gitlab").GetProperty("reachable").GetBoolean());
        Assert.Equal("mrbot", body.GetProperty("gitlab").GetProperty("user").GetString());
        Assert.Equal(0, body.GetProperty("inbox").GetProperty("waiting").GetInt64());
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item4_an_unreachable_GitLab_is_said_at_start_and_readyz_stays_200_reporting_it_and_the_backlog()
    {
        await using var host = await BotHost.StartAsync(FastGitLabRetries);

        await Eventually.HoldsAsync(() => host.Logs.Entries.Any(e => e.Message.Contains("cannot be reached", StringComparison.Ordinal)), "the start-up line");
        var line = Assert.Single(host.Logs.Entries, e => e.Category.EndsWith("GitLabReachability", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Contains("http://127.0.0.1:9/ cannot be reached: no answer: ", line.Message, StringComparison.Ordinal);
        Assert.Contains("Webhooks are still accepted and stored", line.Message, StringComparison.Ordinal);

        // A delivery waits (GitLab is down): counted, and the bot stays in the load balancer.
        await host.Store.AppendAsync(new NewDelivery("k1", "Note Hook", "mr:1:2", null, DateTimeOffset.UtcNow.AddMinutes(-2), "{}"u8.ToArray())
        {
            NotBefore = DateTimeOffset.UtcNow.AddHours(1),
        }, CancellationToken.None);
        var body = await ReadyAsync(host, HttpStatusCode.OK);

        Assert.Equal("ready", body.GetProperty("status").GetString());
        Assert.False(body.GetProperty("gitlab").GetProperty("reachable").GetBoolean());
        Assert.StartsWith("no answer: ", body.GetProperty("gitlab").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, body.GetProperty("inbox").GetProperty("waiting").GetInt64());
        Assert.True(body.GetProperty("inbox").GetProperty("oldestWaitingSeconds").GetDouble() >= 100);
        Assert.False(body.TryGetProperty("reasons", out _));
    }

    [Fact]
    public async Task Item4_a_token_GitLab_refuses_is_named_at_start()
    {
        await using var env = await BotWithGitLab.StartAsync(settings: new Dictionary<string, string?> { [BotSettings.GitLabTokenKey] = "glpat-not-a-real-token" });

        await Eventually.HoldsAsync(() => env.Bot.Logs.Entries.Any(e => e.Message.Contains("cannot be reached", StringComparison.Ordinal)), "the start-up line");

        Assert.Contains(env.Bot.Logs.Entries, e => e.Message.Contains("GitLab refused the token (401 Unauthorized): check GITLAB_TOKEN", StringComparison.Ordinal));
        await ReadyAsync(env.Bot, HttpStatusCode.OK);
    }

    [Fact]
    public async Task Item4_readyz_is_503_with_the_reason_while_the_store_is_unusable()
    {
        await using var host = await BotHost.StartAsync(FastGitLabRetries);
        await ReadyAsync(host, HttpStatusCode.OK);

        // The writer stops (as it does when the file cannot be written any more): nothing can be stored.
        await host.Services.GetRequiredService<SqliteDatabase>().DisposeAsync();
        var body = await ReadyAsync(host, HttpStatusCode.ServiceUnavailable);

        Assert.Equal("not ready", body.GetProperty("status").GetString());
        Assert.Equal("not ready", body.GetProperty("checks").GetProperty("inbox").GetString());
        Assert.Equal("the inbox store does not answer", body.GetProperty("reasons").GetProperty("inbox").GetString());
        // GitLab's state and the backlog are reported, never the reason for being unready.
        Assert.Equal("ready", body.GetProperty("checks").GetProperty("gitlab").GetString());
        Assert.Equal("ready", body.GetProperty("checks").GetProperty("backlog").GetString());
    }

    private static async Task<JsonElement> ReadyAsync(BotHost host, HttpStatusCode expected)
    {
        using var response = await host.Client.GetAsync("/readyz");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"/readyz answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
