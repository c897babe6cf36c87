using System.Globalization;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.Demo;

/// <summary>
/// Issue 15, item 2: the simulated GitLab ships in the bot's output for <c>demo</c>, but <c>serve</c> never loads it. The
/// built bot serves as a child process against a test GitLab (in this process), labels a merge request through real
/// webhooks and API calls, and the assemblies it loaded on the way (<see cref="StartupHook"/>) do not include the
/// simulation. Carter's module scan runs at start-up in that process too: had it picked up anything from the simulation,
/// the simulation would be loaded.
/// </summary>
public sealed class ServeLoadsNoSimulationTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    [Fact]
    public async Task Item2_serve_labels_a_merge_request_without_loading_the_simulated_GitLab()
    {
        await using var gitLab = new TestGitLabServer();
        await gitLab.StartAsync();
        var bot = gitLab.AddUser("mrbot", "MR Bot", bot: true);
        var alice = gitLab.AddUser("alice");
        var group = gitLab.AddGroup("acme");
        var project = gitLab.AddProject("acme/app");
        gitLab.AddMember(project, bot, AccessLevel.Developer);
        gitLab.AddMember(project, alice, AccessLevel.Developer);
        var port = FreePort();
        const string secret = "serve-process-secret";
        using var serve = BotProcess.Start(_directory.File("loaded.txt"), new Dictionary<string, string>
        {
            ["GITLAB_URL"] = gitLab.BaseUrl.ToString(),
            ["GITLAB_TOKEN"] = bot.Token,
            ["GITLAB_WEBHOOK_SECRET"] = secret,
            ["MRBOT_DATABASE"] = _directory.File("mrbot.db"),
        }, "serve", "--urls", string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
        gitLab.AddHook(group, new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/webhooks/gitlab")), secret);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.HoldsAsync(async () =>
        {
            Assert.False(serve.HasExited, serve.Output + serve.Error);
            try
            {
                return (await client.GetAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/healthz")))).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the bot to serve", TimeSpan.FromSeconds(60));

        var mr = gitLab.OpenMergeRequest(project, alice, "Style", "styles", files: new Dictionary<string, string?> { ["web/app.css"] = "a {}\n" });
        await Eventually.HoldsAsync(() => gitLab.GetMergeRequest(mr).Labels.Contains("frontend"), "the bot to label the MR", TimeSpan.FromSeconds(60));
        await serve.KillAsync();

        var loaded = serve.LoadedAssemblies;
        Assert.Contains("GitLabMrBot", loaded);
        Assert.Contains("Carter", loaded);
        Assert.DoesNotContain("GitLabMrBot.TestGitLab", loaded);
    }

    public void Dispose() => _directory.Dispose();

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
