using GitLabMrBot.Admin;
using GitLabMrBot.FunctionalTests.EndToEnd;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;
using GitLabMrBot.TestGitLab;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitLabMrBot.FunctionalTests.Admin;

/// <summary>
/// Issue 13 item 8 in a real browser: Debian's chromium, driven by Playwright for .NET, against the bot on real HTTP with
/// the test GitLab. A person signs in, sees a dead letter, clicks Retry and sees the delivery processed.
/// </summary>
public sealed class StatusPageBrowserTests(Chromium chromium) : IClassFixture<Chromium>
{
    /// <summary>
    /// Where the screenshot goes: <c>MRBOT_STATUS_SCREENSHOT</c> (relative to the repository; <c>docs/status-page.png</c> is the
    /// committed one), else beside the test assembly, so an ordinary run never changes a tracked file.
    /// </summary>
    public const string ScreenshotKey = "MRBOT_STATUS_SCREENSHOT";

    /// <summary>Where the chromium executable is: <c>MRBOT_TEST_CHROMIUM</c>, else Debian's path (.ci/services installs it).</summary>
    public const string ChromiumKey = "MRBOT_TEST_CHROMIUM";

    private const string AdminSecret = "admin-token-for-the-browser";

    // A label the author put on the MR in GitLab: GitLab's own text, printed by the decision record's write answer.
    private const string HostileLabel = "<script>window.mrbotXss=1</script>";

    private static readonly Dictionary<string, string?> CssFiles = new() { ["web/app.css"] = "body { color: red; }\n" };

    [Fact]
    public async Task Item8_a_person_signs_in_sees_a_dead_letter_clicks_retry_and_sees_it_processed()
    {
        await using var env = await BotWithGitLab.StartAsync(settings: new Dictionary<string, string?>
        {
            [AdminToken.Key] = AdminSecret,
            ["Inbox:MaxAttempts"] = "1",
        });
        // Every label write fails until the fault is cleared: the MR's delivery becomes a dead letter.
        env.GitLab.InjectFault("PUT", "/projects/:id/merge_requests/:merge_request_iid", Fault.ServerError(), times: 1000);
        // GitLab throttles the first read once (429 with its RateLimit-* headers): the page shows the headroom it said.
        env.GitLab.InjectFault("GET", "/projects/:id/merge_requests/:merge_request_iid", Fault.RateLimited(retryAfterSeconds: 1));
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: CssFiles, labels: [HostileLabel]);
        await Eventually.HoldsAsync(async () => (await env.Bot.Store.ListAsync(DeliveryStatus.Dead, CancellationToken.None)).Count == 1, "one dead letter");
        var dead = (await env.Bot.Store.ListAsync(DeliveryStatus.Dead, CancellationToken.None)).Single();

        await using var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = env.Bot.Address.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        var page = await context.NewPageAsync();

        // Without a credential: the sign-in form. A wrong token is refused, and not shown back.
        var first = await page.GotoAsync("/status");
        Assert.Equal(401, first!.Status);
        await page.GetByLabel("Admin token").FillAsync("wrong-token-" + AdminSecret);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not the admin token");
        Assert.DoesNotContain("wrong-token-", await page.ContentAsync(), StringComparison.Ordinal);
        await Expect(page.GetByLabel("Admin token")).ToBeEmptyAsync();

        await page.GetByLabel("Admin token").FillAsync(AdminSecret);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dead letters" })).ToBeVisibleAsync();

        // The panels: backlog, the failed evaluation (with a link to its record), the dead letter with its error, GitLab, config.
        await Expect(page.Locator("#backlog")).ToContainTextAsync("Dead letters");
        await Expect(page.Locator("#evaluations tbody tr").First).ToContainTextAsync("failed");
        await Expect(page.Locator("#evaluations tbody tr").First).ToContainTextAsync($"acme/app!{mr.Iid}");
        var row = page.Locator($"#delivery-{dead.Id}");
        await Expect(row).ToContainTextAsync("Merge Request Hook");
        await Expect(row).ToContainTextAsync("500");
        await Expect(page.Locator("#gitlab")).ToContainTextAsync("answers as @mrbot");
        await Expect(page.Locator("#gitlab")).ToContainTextAsync("0 of 2000 left");
        await Expect(page.Locator("#gitlab")).ToContainTextAsync("PUT /projects/:id/merge_requests/:iid → 500");
        await Expect(page.Locator("#bot")).ToContainTextAsync("SQLite");

        var screenshot = ScreenshotPath();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Console.WriteLine($"Status page screenshot: {screenshot}");

        // A POST with the sign-in cookie but without the page's antiforgery field (what a cross-site form sends) is refused.
        var forged = await page.APIRequest.PostAsync($"/status/deliveries/{dead.Id}/retry", new APIRequestContextOptions { MaxRedirects = 0 });
        Assert.Equal(400, forged.Status);
        Assert.Equal(DeliveryStatus.Dead, (await ((IInboxAdmin)env.Bot.Store).GetAsync(dead.Id, CancellationToken.None))!.Status);

        // GitLab answers again; the person clicks Retry and is told what happened.
        env.GitLab.ClearFaults();
        await row.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Delivery {dead.Id} re-queued");
        await Eventually.HoldsAsync(() => env.GitLab.GetMergeRequest(mr).Labels.Contains("frontend"), "the label written after the retry");
        var log = env.Bot.Services.GetRequiredService<IDecisionLog>();
        await Eventually.HoldsAsync(async () => (await log.ListRecentAsync(1, CancellationToken.None)) is [{ Outcome: DecisionOutcomes.Changed }], "the retry's evaluation recorded");

        await page.GotoAsync("/status");
        await Expect(page.Locator($"#delivery-{dead.Id}")).ToHaveCountAsync(0);
        await Expect(page.Locator("#dead-letters")).ToContainTextAsync("No dead letters");
        await Expect(page.Locator("#evaluations tbody tr").First).ToContainTextAsync("changed");

        // The MR's decision record, linked from the evaluation: GitLab's label with <script> shows as text and never runs.
        await page.Locator("#evaluations tbody tr").First.GetByRole(AriaRole.Link, new() { Name = $"acme/app!{mr.Iid}" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"acme/app!{mr.Iid}" })).ToBeVisibleAsync();
        await Expect(page.Locator("main")).ToContainTextAsync(HostileLabel);
        Assert.True(await page.EvaluateAsync<bool>("() => window.mrbotXss === undefined"), "the label's script ran");
    }

    [Fact]
    public async Task Item8_the_page_needs_no_external_asset_and_fits_a_phone()
    {
        await using var env = await BotWithGitLab.StartAsync(settings: new Dictionary<string, string?> { [AdminToken.Key] = AdminSecret });
        await using var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = env.Bot.Address.ToString(),
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            IsMobile = true,
        });
        var page = await context.NewPageAsync();
        var requests = new List<string>();
        page.Request += (_, r) => requests.Add(r.Url);

        await page.GotoAsync("/status");
        await page.GetByLabel("Admin token").FillAsync(AdminSecret);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dead letters" })).ToBeVisibleAsync();

        // Only the page itself (and the sign-in POST and its redirect): no stylesheet, script, font or image from anywhere.
        Assert.All(requests, url => Assert.StartsWith(env.Bot.Address + "status", url, StringComparison.Ordinal));
        // Nothing wider than the phone's screen: no sideways scrolling.
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways on a phone");
    }

    private static string ScreenshotPath() =>
        Environment.GetEnvironmentVariable(ScreenshotKey) is { Length: > 0 } path
            ? Path.GetFullPath(path, RepositoryRoot())
            : Path.Combine(AppContext.BaseDirectory, "status-page.png");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GitLabMrBot.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No GitLabMrBot.sln above {AppContext.BaseDirectory}.");
    }
}

/// <summary>
/// One headless chromium for the browser tests of a class (each test has its own context: its own cookies). Debian's
/// chromium by its path, driven by Playwright's bundled driver; no browser is downloaded.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Chromium has not started.");

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Path(),
            Headless = true,
            // CI runs as root, where chromium's sandbox refuses to start.
            Args = ["--no-sandbox"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }

    /// <summary>Chromium's path; a clear failure (never a skip) when it is not installed.</summary>
    private static string Path()
    {
        var path = Environment.GetEnvironmentVariable(StatusPageBrowserTests.ChromiumKey) is { Length: > 0 } set ? set : "/usr/bin/chromium";
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException(
                $"The browser tests need Debian's chromium at {path}: install it (apt-get install -y chromium; .ci/services does) or set {StatusPageBrowserTests.ChromiumKey} to its path.", path);
    }
}
