using GitLabMrBot.Cli;
using GitLabMrBot.Configuration;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.TestGitLab;
using Microsoft.Extensions.Configuration;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>
/// Issue 10, items 8 and 9 end to end: a command in an internal note through the hook install set up, and the bot
/// against a self-managed GitLab (OAuth token, internal CA, relative URL root).
/// </summary>
public sealed class SelfManagedGitLabTests
{
    private static readonly Dictionary<string, string?> Css = new() { ["web/app.css"] = "body { color: red; }\n" };

    /// <summary>The bot did its work on the MR: the file label, the size label, one summary note.</summary>
    private static void AssertLabelledAndSummarised(BotWithGitLab env, GitLabMergeRequest mr)
    {
        Assert.Equal(["frontend", "size::XS"], env.GitLab.GetMergeRequest(mr).Labels.Order(StringComparer.Ordinal));
        Assert.Single(env.BotNotes(mr));
    }

    [Fact]
    public async Task Item8_a_command_in_an_internal_note_reaches_the_bot_through_the_hook_install_set_up()
    {
        // The group hook as an install before item 8 left it: comments on, internal notes not.
        await using var env = await BotWithGitLab.StartAsync(hookEvents: new HookEvents(ConfidentialNotes: null));
        var owner = env.GitLab.AddUser("ops");
        env.GitLab.AddMember(env.Group, owner, AccessLevel.Owner);
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: Css);
        await env.WaitForQuietAsync();
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [BotSettings.GitLabUrlKey] = env.GitLab.BaseUrl.ToString(),
            [BotSettings.GitLabTokenKey] = owner.Token,
        }).Build();
        using var output = new StringWriter();

        var exit = await InstallCommand.RunAsync(new InstallCommand.Request("acme", env.Bot.Address.ToString(), BotHost.Secret, DryRun: false), output, settings);
        var note = env.GitLab.AddInternalNote(env.Alice, mr, "@mrbot help");
        await env.WaitForQuietAsync();

        Assert.True(exit == CliExit.Ok, output.ToString());
        Assert.Contains(env.GitLab.Deliveries, d => d.Event == "Confidential Note Hook");
        var help = Assert.Single(env.BotNotes(mr), n => n.Contains($"help:{note.Id}", StringComparison.Ordinal));
        Assert.Contains("@mrbot recheck", help, StringComparison.Ordinal);
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item9_the_bot_works_with_an_oauth_token_sent_as_bearer()
    {
        await using var env = await BotWithGitLab.StartAsync();
        await env.StopBotAsync();
        env.SetSetting(BotSettings.GitLabTokenKey, env.GitLab.CreateOAuthToken(env.BotUser));
        env.SetSetting("GitLab:TokenType", "bearer");
        await env.StartBotAsync();

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: Css);
        await env.WaitForQuietAsync();

        AssertLabelledAndSummarised(env, mr);
        Assert.DoesNotContain(env.GitLab.Requests, r => r.Status == 401);
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item9_the_bot_works_with_gitlab_behind_an_internal_ca()
    {
        using var certificate = TestCertificates.SelfSignedForLoopback();
        using var directory = new TempDirectory();
        var bundle = TestCertificates.WritePem(certificate, directory.File("internal-ca.pem"));
        await using var env = await BotWithGitLab.StartAsync(
            settings: new Dictionary<string, string?> { ["GitLab:CaBundle"] = bundle },
            gitLab: new TestGitLabServer { Certificate = certificate });

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: Css);
        await env.WaitForQuietAsync();

        Assert.Equal("https", env.GitLab.BaseUrl.Scheme);
        AssertLabelledAndSummarised(env, mr);
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item9_the_bot_works_with_gitlab_under_a_relative_url_root()
    {
        await using var env = await BotWithGitLab.StartAsync(gitLab: new TestGitLabServer { PathBase = "/gitlab" });

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: Css);
        await env.WaitForQuietAsync();

        Assert.EndsWith("/gitlab/", env.GitLab.BaseUrl.AbsoluteUri, StringComparison.Ordinal);
        AssertLabelledAndSummarised(env, mr);
        Assert.All(env.GitLab.Requests, r => Assert.NotEqual(404, r.Status));
        Assert.Empty(env.Problems());
    }
}
