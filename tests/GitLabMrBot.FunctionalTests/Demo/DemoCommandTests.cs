using System.Text.Json.Nodes;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Startup;

namespace GitLabMrBot.FunctionalTests.Demo;

/// <summary>
/// Issue 15, items 1 and 3: <c>demo</c> as a new user runs it, the built bot started from the repository root with the
/// repository's <c>bot.config.json</c>. The expectations here are the ones that config gives today (labels by name): the
/// demo itself derives its own from whatever the config says, so these fail only when the config changes on purpose.
/// </summary>
public sealed class DemoCommandTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    private readonly TempDirectory _directory = new();

    [Fact]
    public async Task Item3_demo_opens_the_five_merge_requests_and_shows_what_the_bot_did_to_each()
    {
        using var demo = BotProcess.Start(_directory.File("loaded.txt"), new Dictionary<string, string>(), "demo");

        var exit = await demo.WaitForExitAsync(Limit);

        var output = demo.Output;
        Assert.True(exit == 0, $"exit {exit}\n{output}\n{demo.Error}");
        Assert.Equal("", demo.Error);
        Assert.Contains("!1  Make the checkout button easier to hit   [front-end change]", output, StringComparison.Ordinal);
        Assert.Equal(
            [
                "labels     frontend, size::XS",
                "labels     docs, size::XS",
                "labels     hotfix, size::XS",
                "labels     type::feature, size::S",
                "labels     frontend, size::XS, needs-rebase",
            ],
            Lines(output, "labels "));
        Assert.Equal(["reviewers  @bob", "reviewers  none", "reviewers  none", "reviewers  @dave, @frank", "reviewers  none"], Lines(output, "reviewers "));
        Assert.Equal(5, Lines(output, "summary note by @mrbot:").Count);
        Assert.Contains("| Hotfix into `release/1.0`: cherry-pick it to main too.", output, StringComparison.Ordinal);
        Assert.Contains("| | `needs-rebase` | needs rebase | GitLab reports merge conflicts |", output, StringComparison.Ordinal);
        Assert.Contains("| | `@frank` | CODEOWNERS \\[Payments\\] /src/payments/ |", output, StringComparison.Ordinal);
        Assert.Contains("All 5 merge requests are as bot.config.json says", output, StringComparison.Ordinal);
        // No log noise: the bot logs at Warning, and had nothing to warn about.
        Assert.DoesNotContain("info:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("warn:", output, StringComparison.Ordinal);
        // The probe that shows serve never loads the simulated GitLab sees it here.
        Assert.Contains("GitLabMrBot.TestGitLab", demo.LoadedAssemblies);
    }

    [Fact]
    public async Task Item1_demo_exits_non_zero_naming_what_is_missing_when_the_bot_does_not_act_as_configured()
    {
        // The repository's config with dryRun on: the bot computes the same plans and writes none of them.
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RunAsReadmeSaysTests.RepositoryRoot(), "bot.config.json")))!;
        config["dryRun"] = true;
        config.AsObject().Remove("$schema");
        var path = _directory.File("dry.config.json");
        await File.WriteAllTextAsync(path, config.ToJsonString());
        using var demo = BotProcess.Start(_directory.File("loaded.txt"), new Dictionary<string, string>(), "demo", "--config", path);

        var exit = await demo.WaitForExitAsync(Limit);

        Assert.Equal(1, exit);
        Assert.Contains($"demo: the bot did not do what {path} says:", demo.Error, StringComparison.Ordinal);
        Assert.Contains("dryRun is true in the policy file", demo.Error, StringComparison.Ordinal);
        Assert.Contains("- !1 (front-end change): label frontend is missing (frontend: changed file web/app.css matches web/**)", demo.Error, StringComparison.Ordinal);
        Assert.Contains("- !5 (conflicts with main): label needs-rebase (needsRebase.label) is missing", demo.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item1_demo_keep_stays_up_and_serves_the_merge_request_pages_at_the_printed_ports()
    {
        var (botPort, gitLabPort) = (FreePort(), FreePort());
        // The demo's temporary folder goes where TMPDIR says: here, to see it removed.
        var temp = Directory.CreateDirectory(_directory.File("tmp")).FullName;
        using var demo = BotProcess.Start(_directory.File("loaded.txt"), new Dictionary<string, string> { ["TMPDIR"] = temp }, "demo", "--keep",
            "--port", botPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--gitlab-port", gitLabPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            await Eventually.HoldsAsync(() => demo.Output.Contains("Running until Ctrl+C.", StringComparison.Ordinal) || demo.HasExited, "the demo to settle", Limit);
            Assert.False(demo.HasExited, demo.Output + demo.Error);
            var output = demo.Output;
            var list = $"http://127.0.0.1:{gitLabPort}/acme/shop/-/merge_requests";
            Assert.Contains($"Merge requests    {list}", output, StringComparison.Ordinal);
            Assert.Contains($"Bot status page   http://127.0.0.1:{botPort}/status", output, StringComparison.Ordinal);
            var token = Lines(output, "Admin token ").Single().Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
            Assert.Matches("^[0-9a-f]{40}$", token);

            using var browser = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var page = await browser.GetStringAsync(new Uri(list + "/5"));
            Assert.Contains("needs-rebase", page, StringComparison.Ordinal);
            Assert.Contains("Darker header", page, StringComparison.Ordinal);
            // The operator routes are on, behind the printed token.
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{botPort}/api/deliveries"));
            using var anonymous = await browser.GetAsync(new Uri($"http://127.0.0.1:{botPort}/api/deliveries"));
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var authorised = await browser.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.OK, authorised.StatusCode);
            Assert.Single(Directory.GetDirectories(temp, "mrbot-demo-*"));

            await demo.InterruptAsync();
            Assert.Equal(0, await demo.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Empty(Directory.GetDirectories(temp, "mrbot-demo-*"));
        }
        finally
        {
            await demo.KillAsync();
        }
    }

    [Theory]
    [InlineData("--port", "0", "--port must be a port number from 1 to 65535 (it is 0)")]
    [InlineData("--gitlab-port", "70000", "--gitlab-port must be a port number from 1 to 65535 (it is 70000)")]
    public async Task Item1_demo_refuses_a_port_that_is_no_port(string option, string value, string message)
    {
        using var demo = BotProcess.Start(_directory.File("loaded.txt"), new Dictionary<string, string>(), "demo", option, value);

        var exit = await demo.WaitForExitAsync(Limit);

        Assert.Equal(2, exit);
        Assert.Contains(message, demo.Error, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();

    private static List<string> Lines(string output, string start) =>
        [.. output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith(start, StringComparison.Ordinal))];

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
