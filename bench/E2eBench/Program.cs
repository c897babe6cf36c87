using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using GitLabMrBot.TestGitLab;

// Usage: E2eBench --bot <GitLabMrBot.dll> --config <bot.config.json> [--latency-ms 20] [--seed 42] [--mrs 8] [--events 20]
//        [--quiet-ms 300] [--burst 20] [--only labels|codeowners] [--trace]
// Four phases, each on a fresh test GitLab and a fresh bot process: {labels only, reviewers from CODEOWNERS} x
// {the bot as configured, naive mode}. In each, a seeded stream of events is applied one at a time; after each, the
// run waits until GitLab has sent every hook and no API request came for a quiet window, and attributes the
// requests in between to that event.
var options = Options.Parse(args);
var phases = new List<PhaseResult>();
foreach (var codeOwners in new[] { false, true })
{
    foreach (var naive in new[] { false, true })
    {
        if (options.Only is null || options.Only == (codeOwners ? "codeowners" : "labels"))
        {
            phases.Add(await Phase.RunAsync(options, codeOwners, naive));
        }
    }
}
Report.Print(options, phases);
return 0;

/// <summary>The command line.</summary>
internal sealed record Options(string BotDll, string Config, TimeSpan Latency, int Seed, int MergeRequests, int Events, TimeSpan Quiet)
{
    /// <summary><c>--only labels|codeowners</c>: run that config's two phases only.</summary>
    public string? Only { get; init; }

    /// <summary><c>--trace</c>: print every event's API calls, to see where a figure comes from.</summary>
    public bool Trace { get; init; }

    /// <summary><c>--burst 20</c>: after the stream, that many MRs opened at once (0: none); their calls are shared out evenly.</summary>
    public int Burst { get; init; } = 20;

    /// <summary>
    /// The setting that turns the bot's caches off (issue 11, item 6). Another engineer adds it; until then it has
    /// no effect and the naive figures equal the cached ones. Change the name here if it lands under another one.
    /// </summary>
    public const string NaiveSettingKey = "Cache__Enabled";
    public const string NaiveSettingValue = "false";

    public static Options Parse(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new Options(
            Path.GetFullPath(Get("--bot") ?? throw new ArgumentException("--bot <GitLabMrBot.dll> is required")),
            Path.GetFullPath(Get("--config") ?? throw new ArgumentException("--config <bot.config.json> is required")),
            TimeSpan.FromMilliseconds(Int("--latency-ms", 20)),
            Int("--seed", 42),
            Int("--mrs", 8),
            Int("--events", 20),
            TimeSpan.FromMilliseconds(Int("--quiet-ms", 300)))
        {
            Only = Get("--only"),
            Trace = args.Contains("--trace"),
            Burst = Int("--burst", 20),
        };
    }
}

/// <summary>What one event cost: API reads and writes until quiet, and delivery to last write.</summary>
internal sealed record EventCost(string Kind, double Reads, double Writes, TimeSpan? DeliveryToLastWrite);

internal sealed record PhaseResult(string Name, bool CodeOwners, bool Naive, IReadOnlyList<EventCost> Events)
{
    /// <summary>MRs that ended with reviewers, of all MRs: shows the CODEOWNERS run really picked reviewers.</summary>
    public string WithReviewers { get; init; } = "";
}

internal static class Phase
{
    public const string OpenKind = "MR opened";

    /// <summary>The first MR opened: every cache is cold (users, loads, statuses, CODEOWNERS, the project's labels).</summary>
    public const string ColdOpenKind = "MR opened, cold";
    public const string BranchKind = "branch created";
    public const string BurstKind = "MR opened in burst";
    public const string TitleKind = "title edit";
    public const string DescriptionKind = "description edit";
    public const string PushKind = "push";
    public const string LabelKind = "human label change";
    public const string RedeliveryKind = "redelivery";

    /// <summary>Events that change nothing any policy reads: every write they cause is a needless one.</summary>
    public static readonly string[] NoChangeKinds = [DescriptionKind, RedeliveryKind];

    public static async Task<PhaseResult> RunAsync(Options options, bool codeOwners, bool naive)
    {
        var name = $"{(codeOwners ? "CODEOWNERS reviewers" : "labels only")}, {(naive ? "naive" : "cached")}";
        await using var gitLab = new TestGitLabServer();
        await gitLab.StartAsync();
        var botUser = gitLab.AddUser("mrbot", "MR Bot", bot: true);
        var alice = gitLab.AddUser("alice", "Alice");
        var group = gitLab.AddGroup("acme");
        var files = new Dictionary<string, string> { ["README.md"] = "# app\n" };
        if (codeOwners)
        {
            files["CODEOWNERS"] = "* @carol @dave @erin\n";
        }
        var project = gitLab.AddProject("acme/app", files: files);
        gitLab.AddMember(project, botUser, AccessLevel.Developer);
        gitLab.AddMember(project, alice, AccessLevel.Developer);
        foreach (var owner in new[] { "carol", "dave", "erin" })
        {
            gitLab.AddMember(project, gitLab.AddUser(owner, owner), AccessLevel.Developer);
        }
        // The same latency on every API route (the first matching rule applies, so this one applies always).
        gitLab.InjectFault("*", "/**", Fault.Latency(options.Latency), times: int.MaxValue);

        var config = await WriteConfigAsync(options.Config, codeOwners);
        var work = Directory.CreateTempSubdirectory("mrbot-e2e-");
        using var bot = await BotProcess.StartAsync(options, gitLab, botUser, group, config, work.FullName, naive);
        try
        {
            var random = new Random(options.Seed);
            var costs = new List<EventCost>();
            var mrs = new List<GitLabMergeRequest>();
            var next = 0;
            for (var i = 0; i < options.MergeRequests + options.Events; i++)
            {
                var kind = i < options.MergeRequests ? OpenKind
                    : random.Next(5) switch { 0 => TitleKind, 1 => DescriptionKind, 2 => PushKind, 3 => LabelKind, _ => RedeliveryKind };
                var deliveriesBefore = gitLab.Deliveries.Count;
                var requestsBefore = gitLab.Requests.Count;
                var sentAt = DateTimeOffset.UtcNow;
                var mr = kind == OpenKind ? null : mrs[random.Next(mrs.Count)];
                switch (kind)
                {
                    case OpenKind:
                        // The branch is pushed first, as in git: its push hook is an event of its own ("branch created"),
                        // then the MR is opened from it.
                        var n = next++;
                        var changed = new Dictionary<string, string?>
                        {
                            [random.Next(2) == 0 ? $"web/page{n}.css" : $"docs/page{n}.md"] = string.Concat(Enumerable.Repeat("line\n", 5 + random.Next(200))),
                        };
                        var title = random.Next(2) == 0 ? $"feat: change {n}" : $"Change {n}";
                        gitLab.Push(alice, project, $"change-{n}", changed, message: title);
                        await WaitForQuietAsync(gitLab, options.Quiet);
                        costs.Add(Cost(BranchKind, gitLab, requestsBefore, deliveriesBefore, sentAt, options, name, null));
                        (deliveriesBefore, requestsBefore, sentAt) = (gitLab.Deliveries.Count, gitLab.Requests.Count, DateTimeOffset.UtcNow);
                        mrs.Add(gitLab.OpenMergeRequest(project, alice, title, $"change-{n}"));
                        break;
                    case TitleKind:
                        gitLab.UpdateMergeRequest(alice, mr!, new MergeRequestUpdate { Title = random.Next(2) == 0 ? $"feat: renamed {i}" : $"Renamed {i}" });
                        break;
                    case DescriptionKind:
                        gitLab.UpdateMergeRequest(alice, mr!, new MergeRequestUpdate { Description = $"Edited description {i}" });
                        break;
                    case PushKind:
                        gitLab.Push(alice, project, gitLab.GetMergeRequest(mr!).SourceBranch,
                            new Dictionary<string, string?> { [$"web/push{i}.css"] = string.Concat(Enumerable.Repeat("a {}\n", 1 + random.Next(50))) });
                        break;
                    case LabelKind:
                        gitLab.UpdateMergeRequest(alice, mr!, new MergeRequestUpdate { AddLabels = [$"triage-{random.Next(3)}"] });
                        break;
                    case RedeliveryKind:
                        // GitLab's "Resend request" of the newest delivery: the same Idempotency-Key and body.
                        var last = gitLab.Deliveries.LastOrDefault(d => d.Event == "Merge Request Hook");
                        if (last is null)
                        {
                            continue;
                        }
                        sentAt = DateTimeOffset.UtcNow;
                        await bot.ResendAsync(last);
                        break;
                }
                await WaitForQuietAsync(gitLab, options.Quiet);
                costs.Add(Cost(i == 0 ? ColdOpenKind : kind, gitLab, requestsBefore, deliveriesBefore, sentAt, options, name, mr ?? mrs[^1]));
            }
            if (options.Burst > 0)
            {
                // Branches first (each push hook is a "branch created"), then every MR opened before the bot catches up:
                // the caches are shared by MRs with the same project, owners and target branch.
                var burstStart = mrs.Count;
                for (var b = 0; b < options.Burst; b++)
                {
                    var (deliveriesBefore, requestsBefore, sentAt) = (gitLab.Deliveries.Count, gitLab.Requests.Count, DateTimeOffset.UtcNow);
                    gitLab.Push(alice, project, $"burst-{b}", new Dictionary<string, string?> { [$"web/burst{b}.css"] = "a {}\n" }, message: $"Burst {b}");
                    await WaitForQuietAsync(gitLab, options.Quiet);
                    costs.Add(Cost(BranchKind, gitLab, requestsBefore, deliveriesBefore, sentAt, options, name, null));
                }
                var before = (Deliveries: gitLab.Deliveries.Count, Requests: gitLab.Requests.Count, SentAt: DateTimeOffset.UtcNow);
                for (var b = 0; b < options.Burst; b++)
                {
                    mrs.Add(gitLab.OpenMergeRequest(project, alice, $"Burst {b}", $"burst-{b}"));
                }
                // Done when every MR of the burst has the bot's summary note (its last write), then quiet.
                var waited = Stopwatch.StartNew();
                while (mrs.Skip(burstStart).Any(m => !gitLab.GetNotes(m).Any(note => note.Author == botUser.Username && !note.System)))
                {
                    if (waited.Elapsed > TimeSpan.FromSeconds(120))
                    {
                        throw new TimeoutException("the burst's MRs did not all get the bot's note within 120 s");
                    }
                    await Task.Delay(50);
                }
                await WaitForQuietAsync(gitLab, options.Quiet);
                var total = Cost(BurstKind, gitLab, before.Requests, before.Deliveries, before.SentAt, options, name, null);
                for (var b = burstStart; b < mrs.Count; b++)
                {
                    costs.Add(new EventCost(BurstKind, total.Reads / options.Burst, total.Writes / options.Burst, total.DeliveryToLastWrite));
                }
            }
            return new PhaseResult(name, codeOwners, naive, costs)
            {
                WithReviewers = $"{mrs.Count(m => gitLab.GetMergeRequest(m).Reviewers.Count > 0)}/{mrs.Count}",
            };
        }
        finally
        {
            await bot.StopAsync();
            work.Delete(recursive: true);
            File.Delete(config);
        }
    }

    // The requests since the counts given, as one event's cost; with --trace, printed.
    private static EventCost Cost(string kind, TestGitLabServer gitLab, int requestsBefore, int deliveriesBefore, DateTimeOffset sentAt, Options options, string phase, GitLabMergeRequest? mr)
    {
        var requests = gitLab.Requests.Skip(requestsBefore).ToList();
        var writes = requests.Where(r => r.IsWrite).ToList();
        var firstDelivery = gitLab.Deliveries.Skip(deliveriesBefore).Select(d => (DateTimeOffset?)d.SentAt).FirstOrDefault() ?? sentAt;
        TimeSpan? latency = writes.Count == 0 ? null : writes.Max(w => w.ReceivedAt) + options.Latency - firstDelivery;
        if (options.Trace)
        {
            Console.WriteLine($"-- {phase}: {kind}{(mr is null ? "" : $" !{mr.Iid}")}");
            foreach (var request in requests)
            {
                Console.WriteLine($"     {request.Method} {request.Path}{(request.Query.Length > 0 ? "?" + request.Query.TrimStart('?') : "")} → {request.Status}");
            }
        }
        return new EventCost(kind, requests.Count - writes.Count, writes.Count, latency);
    }

    // The repository's bot.config.json; without its reviewers for the labels-only run (the issue's baseline).
    private static async Task<string> WriteConfigAsync(string source, bool codeOwners)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(source))!.AsObject();
        json.Remove("$schema");
        if (!codeOwners)
        {
            json.Remove("reviewers");
            var policies = json["policies"]!.AsArray();
            foreach (var p in policies.Where(p => p!["then"]?["reviewers"] is not null).ToList())
            {
                policies.Remove(p);
            }
        }
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, json.ToJsonString());
        return path;
    }

    // Quiet: GitLab has sent every hook and no API request came for a whole window.
    private static async Task WaitForQuietAsync(TestGitLabServer gitLab, TimeSpan window)
    {
        var deadline = Stopwatch.StartNew();
        var count = -1;
        var stableSince = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await gitLab.WaitForDeliveriesAsync(TimeSpan.FromSeconds(60));
            var now = gitLab.Requests.Count;
            if (now != count)
            {
                count = now;
                stableSince.Restart();
            }
            else if (stableSince.Elapsed >= window)
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("the bot did not go quiet within 60 s");
    }
}

/// <summary>The published bot as a child process, with the group hook pointed at it.</summary>
internal sealed class BotProcess : IDisposable
{
    private const string Secret = "e2e-bench-secret";
    private readonly Process _process;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private BotProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<BotProcess> StartAsync(Options options, TestGitLabServer gitLab, GitLabUser botUser, GitLabGroup group, string config, string work, bool naive)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", [options.BotDll, "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_CONTENTROOT"] = Path.GetDirectoryName(options.BotDll);
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["GITLAB_URL"] = gitLab.BaseUrl.ToString();
        start.Environment["GITLAB_TOKEN"] = botUser.Token;
        start.Environment["GITLAB_WEBHOOK_SECRET"] = Secret;
        start.Environment["MRBOT_DATABASE"] = Path.Combine(work, "mrbot.db");
        start.Environment["MRBOT_CONFIG"] = config;
        // Every MR of the test world is settled: a re-check would only add the same reads to whichever event came next.
        start.Environment["Rechecks__MaxAttempts"] = "0";
        if (naive)
        {
            start.Environment[Options.NaiveSettingKey] = Options.NaiveSettingValue;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("the bot did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var bot = new BotProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        var deadline = Stopwatch.StartNew();
        while (!await bot.HealthyAsync())
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                bot.Dispose();
                throw new InvalidOperationException("the bot did not answer /healthz within 60 s");
            }
            await Task.Delay(100);
        }
        gitLab.AddHook(group, new Uri(bot.Address, "webhooks/gitlab"), Secret);
        return bot;
    }

    /// <summary>Sends a delivery again with its own headers (GitLab's "Resend request").</summary>
    public async Task ResendAsync(GitLabMrBot.TestGitLab.Webhooks.WebhookDelivery delivery)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Address, "webhooks/gitlab"))
        {
            Content = new StringContent(delivery.Body, System.Text.Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in delivery.Headers)
        {
            if (!name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) && !name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        using var response = await _http.SendAsync(request);
    }

    private async Task<bool> HealthyAsync()
    {
        try
        {
            using var response = await _http.GetAsync(new Uri(Address, "healthz"));
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
        _http.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

internal static class Report
{
    private const double Budget = 2000;

    public static void Print(Options options, IReadOnlyList<PhaseResult> phases)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"bench/e2e: seed {options.Seed}, {options.MergeRequests} MRs, {options.Events} further events, burst of {options.Burst}, {options.Latency.TotalMilliseconds} ms per API call, naive mode = {Options.NaiveSettingKey}={Options.NaiveSettingValue}"));
        foreach (var phase in phases)
        {
            Console.WriteLine();
            Console.WriteLine($"== {phase.Name} (MRs with reviewers at the end: {phase.WithReviewers})");
            Console.WriteLine(string.Create(inv, $"{"event",-20} {"n",3} {"reads/ev",9} {"writes/ev",10} {"evals/min",10} {"p50 ms",7} {"p99 ms",7} {"no-op writes",13}"));
            foreach (var group in phase.Events.GroupBy(e => e.Kind))
            {
                var n = group.Count();
                var reads = group.Average(e => e.Reads);
                var writes = group.Average(e => e.Writes);
                var latencies = group.Where(e => e.DeliveryToLastWrite is not null).Select(e => e.DeliveryToLastWrite!.Value.TotalMilliseconds).Order().ToList();
                var noop = Phase.NoChangeKinds.Contains(group.Key) ? group.Sum(e => e.Writes).ToString(inv) : "-";
                Console.WriteLine(string.Create(inv,
                    $"{group.Key,-20} {n,3} {reads,9:F2} {writes,10:F2} {EvalsPerMinute(reads + writes),10} {Percentile(latencies, 0.50),7} {Percentile(latencies, 0.99),7} {noop,13}"));
            }
        }

        Console.WriteLine();
        Console.WriteLine("== naive / cached (calls per event; above 1 means the caches save calls)");
        foreach (var cached in phases.Where(p => !p.Naive))
        {
            var naive = phases.Single(p => p.Naive && p.CodeOwners == cached.CodeOwners);
            Console.WriteLine($"-- {(cached.CodeOwners ? "CODEOWNERS reviewers" : "labels only")}");
            foreach (var kind in cached.Events.Select(e => e.Kind).Distinct())
            {
                var c = cached.Events.Where(e => e.Kind == kind).Average(e => e.Reads + e.Writes);
                var v = naive.Events.Where(e => e.Kind == kind).DefaultIfEmpty().Average(e => e is null ? 0 : e.Reads + e.Writes);
                Console.WriteLine(string.Create(inv, $"{kind,-20} cached {c,6:F2}  naive {v,6:F2}  ratio {(c == 0 ? "-" : (v / c).ToString("F2", inv)),6}"));
            }
        }
    }

    private static string EvalsPerMinute(double calls) => calls == 0 ? "-" : ((int)(Budget / calls)).ToString(CultureInfo.InvariantCulture);

    private static string Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? "-" : ((int)sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)]).ToString(CultureInfo.InvariantCulture);
}
