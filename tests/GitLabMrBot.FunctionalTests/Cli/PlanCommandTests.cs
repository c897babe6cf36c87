using System.Text.Json.Nodes;
using GitLabMrBot.Cli;
using GitLabMrBot.Configuration;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.TestGitLab;
using Microsoft.Extensions.Configuration;
using Xunit.Abstractions;

namespace GitLabMrBot.FunctionalTests.Cli;

/// <summary>
/// Issue 15 item 2: <c>plan --group</c> against the test GitLab over real HTTP, with a read-only token (scope
/// <c>read_api</c>): 3 projects (one in a subgroup) and 10 open MRs. It prints one line per MR and the totals, or JSON,
/// and the request log proves it only read.
/// </summary>
// Both are disposed by IAsyncLifetime.DisposeAsync, which xunit calls after every test.
#pragma warning disable CA1001
public sealed class PlanCommandTests(ITestOutputHelper log) : IAsyncLifetime
#pragma warning restore CA1001
{
    private static string Config(string? existing) => $$"""
        {
          "labels": { "frontend": "#1f75cb", "docs": "#0e8a16" },
          "policies": [
            { "name": "frontend", "when": { "changedFiles": ["web/**", "**/*.css"] },
              "then": { "addLabels": ["frontend"], "reviewers": { "users": ["bob"], "count": 1 }, "comment": "Front-end change: check it in a browser." } },
            { "name": "docs-only", "when": { "onlyChangedFiles": ["docs/**", "**/*.md"] }, "then": { "addLabels": ["docs"] } }
          ],
          "sizeLabels": { "prefix": "size::", "thresholds": { "XS": 10, "S": 100 }, "largest": "L" },
          "sweep": { "groups": ["acme"]{{(existing is null ? "" : $", \"existingMergeRequests\": \"{existing}\"")}} },
          "summaryComment": true
        }
        """;

    private readonly TempDirectory _directory = new();
    private readonly TestGitLabServer _gitLab = new();
    private readonly Dictionary<string, string?> _settings = [];
    private GitLabUser _bot = null!;
    private GitLabUser _alice = null!;
    private GitLabProject _docs = null!;

    private static Dictionary<string, string?> Files(string path, string content) => new() { [path] = content };

    public async Task InitializeAsync()
    {
        await _gitLab.StartAsync();
        _bot = _gitLab.AddUser("mrbot", "MR Bot", bot: true);
        var alice = _alice = _gitLab.AddUser("alice", "Alice");
        var bob = _gitLab.AddUser("bob", "Bob");
        var group = _gitLab.AddGroup("acme");
        _gitLab.AddGroup("acme/platform");
        _gitLab.AddGroup("other");
        _gitLab.AddMember(group, _bot, AccessLevel.Developer);
        _gitLab.AddMember(group, alice, AccessLevel.Developer);
        _gitLab.AddMember(group, bob, AccessLevel.Developer);
        var web = _gitLab.AddProject("acme/web", files: Files("README.md", "# web\n")!);
        var docs = _docs = _gitLab.AddProject("acme/docs", files: Files("README.md", "# docs\n")!);
        var api = _gitLab.AddProject("acme/platform/api", files: Files("README.md", "# api\n")!);
        var elsewhere = _gitLab.AddProject("other/site", files: Files("README.md", "# site\n")!);

        _gitLab.OpenMergeRequest(web, alice, "Style", "style", files: Files("web/app.css", "body { color: red; }\n"));
        _gitLab.OpenMergeRequest(web, alice, "Readme", "readme", files: Files("README.md", "# web app\n"));
        _gitLab.OpenMergeRequest(web, alice, "Backend", "backend", files: Files("src/a.cs", "class A {}\n"));
        // The bot added frontend once, and a person took it away: humans win, it is not added again.
        var removed = _gitLab.OpenMergeRequest(web, alice, "Removed by a person", "removed", files: Files("web/x.css", "a {}\n"));
        _gitLab.UpdateMergeRequest(_bot, removed, new MergeRequestUpdate { AddLabels = ["frontend", "size::XS"] });
        _gitLab.UpdateMergeRequest(alice, removed, new MergeRequestUpdate { RemoveLabels = ["frontend"] });
        _gitLab.OpenMergeRequest(web, alice, "Labelled already", "labelled", files: Files("web/y.css", "b {}\n"), labels: ["frontend", "size::XS"]);
        _gitLab.OpenMergeRequest(docs, alice, "Guide", "guide", files: Files("docs/guide.md", "# Guide\n"));
        _gitLab.OpenMergeRequest(docs, alice, "FAQ", "faq", files: Files("docs/faq.md", "# FAQ\n"));
        var closed = _gitLab.OpenMergeRequest(docs, alice, "Closed", "closed", files: Files("docs/old.md", "# Old\n"));
        _gitLab.UpdateMergeRequest(alice, closed, new MergeRequestUpdate { StateEvent = "close" });
        _gitLab.OpenMergeRequest(api, alice, "Api styles", "styles", files: Files("api/x.css", "c {}\n"));
        _gitLab.OpenMergeRequest(api, alice, "Big", "big", files: Files("src/big.txt", string.Concat(Enumerable.Range(1, 50).Select(i => $"line {i}\n"))));
        // The bot put a size label there that no longer fits: it is the bot's, so the bot takes it away.
        var stale = _gitLab.OpenMergeRequest(api, alice, "Stale size", "stale", files: Files("src/s.txt", "s\n"));
        _gitLab.UpdateMergeRequest(_bot, stale, new MergeRequestUpdate { AddLabels = ["size::L"] });
        _gitLab.OpenMergeRequest(elsewhere, alice, "Not in the group", "elsewhere", files: Files("web/z.css", "z {}\n"));
        await _gitLab.WaitForDeliveriesAsync(TimeSpan.FromSeconds(30));
        _gitLab.ClearRequests();

        await File.WriteAllTextAsync(_directory.File("bot.config.json"), Config(null));
        _settings[BotSettings.GitLabUrlKey] = _gitLab.BaseUrl.ToString();
        _settings[BotSettings.GitLabTokenKey] = _gitLab.CreateToken(_bot, "read_api");
        _settings[BotSettings.ConfigPathKey] = _directory.File("bot.config.json");
        _settings["GitLab:PerPage"] = "4";
        _settings["GitLab:RetryBaseDelay"] = "00:00:00.020";
        _settings["GitLab:MaxRetryDelay"] = "00:00:00.100";
    }

    public async Task DisposeAsync()
    {
        await _gitLab.DisposeAsync();
        _directory.Dispose();
    }

    private sealed record PlanRun(int ExitCode, string Output, string Error)
    {
        public IReadOnlyList<string> Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        public string Line(string mergeRequest) => Assert.Single(Lines, l => l.StartsWith(mergeRequest + "  ", StringComparison.Ordinal));

        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
    }

    private async Task<PlanRun> PlanAsync(params string[] args)
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection(_settings).Build();
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var exit = await CommandLine.RunAsync(["plan", .. args], output, error, () => settings, _ => throw new InvalidOperationException("plan started the server"), timeout.Token);
        var run = new PlanRun(exit, output.ToString(), error.ToString());
        // The whole run in the test's output: what README.md and the closing note quote.
        log.WriteLine($"$ GitLabMrBot plan {string.Join(' ', args)}\n{run}");
        return run;
    }

    [Fact]
    public async Task Item2_plan_group_prints_a_line_per_open_mr_and_the_totals_with_a_read_only_token_and_writes_nothing()
    {
        var run = await PlanAsync("--group", "acme");

        Assert.True(run.ExitCode == 0, run.ToString());
        // Default sweep.existingMergeRequests "labels", and no store: every MR is one the first sweep would only label.
        Assert.Equal("acme/web!1  +frontend +size::XS  summary note: none  (labels only: open before the installation)", run.Line("acme/web!1"));
        Assert.Equal("acme/web!2  +docs +size::XS  summary note: none  (labels only: open before the installation)", run.Line("acme/web!2"));
        Assert.Equal("acme/web!3  +size::XS  summary note: none  (labels only: open before the installation)", run.Line("acme/web!3"));
        Assert.Equal("acme/web!4  no changes  summary note: none  not re-added: frontend  (labels only: open before the installation)", run.Line("acme/web!4"));
        Assert.Equal("acme/web!5  no changes  summary note: none  (labels only: open before the installation)", run.Line("acme/web!5"));
        Assert.Equal("acme/docs!1  +docs +size::XS  summary note: none  (labels only: open before the installation)", run.Line("acme/docs!1"));
        Assert.Equal("acme/docs!2  +docs +size::XS  summary note: none  (labels only: open before the installation)", run.Line("acme/docs!2"));
        Assert.Equal("acme/platform/api!1  +frontend +size::XS  summary note: none  (labels only: open before the installation)", run.Line("acme/platform/api!1"));
        Assert.Equal("acme/platform/api!2  +size::S  summary note: none  (labels only: open before the installation)", run.Line("acme/platform/api!2"));
        Assert.Equal("acme/platform/api!3  +size::XS -size::L  summary note: none  (labels only: open before the installation)", run.Line("acme/platform/api!3"));
        Assert.DoesNotContain(run.Lines, l => l.StartsWith("acme/docs!3", StringComparison.Ordinal) || l.StartsWith("other/", StringComparison.Ordinal));
        Assert.Contains("Totals: 10 merge requests, 8 with changes; labels +13 -1; reviewers requested 0; notes posted 0", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"GitLab API calls: \d+ \(all GET\)", run.Output);
        Assert.Contains("10 open merge requests", run.Error, StringComparison.Ordinal);

        Assert.Empty(_gitLab.Writes);
        Assert.All(_gitLab.Requests, r => Assert.Equal("GET", r.Method));
        // Pagination: 10 MRs at 4 a page are three pages of the group's list.
        Assert.Equal(3, _gitLab.Actions.Count(a => a.StartsWith("GET /groups/acme/merge_requests", StringComparison.Ordinal)));
        var calls = int.Parse(System.Text.RegularExpressions.Regex.Match(run.Output, @"GitLab API calls: (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(_gitLab.Requests.Count, calls);
        Assert.DoesNotContain((string)_settings[BotSettings.GitLabTokenKey]!, run.Output + run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_group_applies_a_projects_own_file_to_that_project_only()
    {
        // The group lets projects add policies; acme/docs adds a rule of its own on its default branch.
        var config = Config(null).Replace("\"summaryComment\": true", "\"summaryComment\": true, \"projects\": { \"allow\": [\"policies\"] }", StringComparison.Ordinal);
        await File.WriteAllTextAsync(_directory.File("bot.config.json"), config);
        _gitLab.Push(_alice, _docs, "main", Files(".gitlab/mrbot.json",
            """{ "policies": [ { "name": "guides", "when": { "changedFiles": ["docs/**"] }, "then": { "addLabels": ["documentation"] } } ] }"""));
        await _gitLab.WaitForDeliveriesAsync(TimeSpan.FromSeconds(30));
        _gitLab.ClearRequests();

        var run = await PlanAsync("--group", "acme");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("acme/docs!1  +docs +documentation +size::XS  summary note: none  (labels only: open before the installation)", run.Line("acme/docs!1"));
        // The rule is acme/docs's own: acme/web's docs change does not get it.
        Assert.Equal("acme/web!2  +docs +size::XS  summary note: none  (labels only: open before the installation)", run.Line("acme/web!2"));
        Assert.Empty(_gitLab.Writes);
    }

    [Fact]
    public async Task Item2_plan_group_with_existingMergeRequests_full_shows_reviewers_notes_and_comments()
    {
        await File.WriteAllTextAsync(_directory.File("bot.config.json"), Config("full"));

        var run = await PlanAsync("--group", "acme");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("acme/web!1  +frontend +size::XS  reviewers: @bob  summary note: new  comment: frontend", run.Line("acme/web!1"));
        Assert.Equal("acme/web!4  reviewers: @bob  summary note: new  comment: frontend  not re-added: frontend", run.Line("acme/web!4"));
        Assert.Equal("acme/web!5  reviewers: @bob  summary note: new  comment: frontend", run.Line("acme/web!5"));
        Assert.Equal("acme/docs!1  +docs +size::XS  summary note: new", run.Line("acme/docs!1"));
        Assert.Contains("Totals: 10 merge requests, 10 with changes; labels +13 -1; reviewers requested 4; notes posted 14", run.Output, StringComparison.Ordinal);
        Assert.Empty(_gitLab.Writes);
    }

    [Fact]
    public async Task Item2_plan_group_json_is_one_object_per_mr_and_the_totals()
    {
        var run = await PlanAsync("--group", "acme", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var document = JsonNode.Parse(run.Output)!;
        Assert.Equal("acme", document["group"]!.GetValue<string>());
        Assert.Equal("labels", document["existingMergeRequests"]!.GetValue<string>());
        var mrs = document["mergeRequests"]!.AsArray();
        Assert.Equal(10, mrs.Count);
        var first = mrs.Single(m => m!["reference"]!.GetValue<string>() == "acme/platform/api!3")!;
        Assert.Equal("labels-only", first["treatment"]!.GetValue<string>());
        Assert.Equal(["size::XS"], first["labelsToAdd"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal(["size::L"], first["labelsToRemove"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal("none", first["summaryNote"]!.GetValue<string>());
        var totals = document["totals"]!;
        Assert.Equal(10, totals["mergeRequests"]!.GetValue<int>());
        Assert.Equal(8, totals["withChanges"]!.GetValue<int>());
        Assert.Equal(13, totals["labelsAdded"]!.GetValue<int>());
        Assert.Equal(1, totals["labelsRemoved"]!.GetValue<int>());
        Assert.Equal(_gitLab.Requests.Count, document["apiCalls"]!.GetValue<int>());
        Assert.Empty(_gitLab.Writes);
    }

    [Fact]
    public async Task Item2_plan_group_fails_clearly_for_a_missing_group_a_refused_token_and_an_unreachable_gitlab()
    {
        var missing = await PlanAsync("--group", "nope");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("group nope", missing.Error, StringComparison.Ordinal);
        Assert.Contains("check the group's full path", missing.Error, StringComparison.Ordinal);

        _settings[BotSettings.GitLabTokenKey] = "glpat-not-a-token";
        var refused = await PlanAsync("--group", "acme");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("check GITLAB_TOKEN", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("glpat-not-a-token", refused.Output + refused.Error, StringComparison.Ordinal);

        _settings[BotSettings.GitLabUrlKey] = "http://127.0.0.1:9/";
        var unreachable = await PlanAsync("--group", "acme");
        Assert.NotEqual(0, unreachable.ExitCode);
        Assert.Contains("check GITLAB_URL", unreachable.Error, StringComparison.Ordinal);
        Assert.Empty(_gitLab.Writes);
    }

    [Fact]
    public async Task Plan_reports_a_GitLab_that_refuses_connections_within_3_seconds_with_the_servers_retry_settings()
    {
        // The server's own retry delays (not the shortened ones of the other tests): the command line gives up fast anyway.
        _settings.Remove("GitLab:RetryBaseDelay");
        _settings.Remove("GitLab:MaxRetryDelay");
        _settings[BotSettings.GitLabUrlKey] = "http://127.0.0.1:9/";
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var unreachable = await PlanAsync("--group", "acme");

        clock.Stop();
        Assert.NotEqual(0, unreachable.ExitCode);
        Assert.Contains("✗ cannot reach GitLab at http://127.0.0.1:9/: connection refused", unreachable.Error, StringComparison.Ordinal);
        Assert.Contains("check GITLAB_URL", unreachable.Error, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"plan took {clock.Elapsed.TotalSeconds:0.0} s to report an unreachable GitLab");
    }
}
