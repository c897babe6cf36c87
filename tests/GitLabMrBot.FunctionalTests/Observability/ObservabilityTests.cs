using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using GitLabMrBot.FunctionalTests.EndToEnd;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;
using GitLabMrBot.TestGitLab;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using OpenTelemetry.Trace;

namespace GitLabMrBot.FunctionalTests.Observability;

/// <summary>
/// Meters and activity listeners are process-wide: a test host's <c>/metrics</c> would also count what the hosts of
/// tests running beside it do. The tests that read counts run in this collection, alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry (process-wide meters)";
}

/// <summary>Issue 13 items 1-3: metrics at <c>/metrics</c>, one trace per delivery, one log line per failed attempt.</summary>
[Collection(TelemetryCollection.Name)]
public sealed partial class ObservabilityTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string?> CssAndDocs = new()
    {
        ["web/app.css"] = "body { color: red; }\n",
        ["docs/x.md"] = "# X\n",
    };

    /// <summary>The bot's own Debug lines are recorded too (appsettings.json says Information).</summary>
    private static readonly Dictionary<string, string?> DebugLogs = new() { ["Logging:LogLevel:GitLabMrBot"] = "Debug" };

    [Fact]
    public async Task Item1_metrics_after_a_scripted_run_count_deliveries_evaluations_and_GitLab_calls_by_template()
    {
        await using var env = await BotWithGitLab.StartAsync(settings: DebugLogs);

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: CssAndDocs);
        await env.WaitForQuietAsync();
        env.GitLab.UpdateMergeRequest(env.Alice, mr, new MergeRequestUpdate { Title = "feat: style the app" });
        await env.WaitForQuietAsync();

        using var response = await env.Bot.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var metrics = Prometheus.Parse(text);
        output.WriteLine(text);

        // Deliveries by event and answer: what the store holds of each webhook event is what was accepted.
        var stored = await env.Bot.Store.ListAsync(null, CancellationToken.None);
        var accepted = stored.Where(d => d.Event.EndsWith(" Hook", StringComparison.Ordinal)).GroupBy(d => d.Event).ToList();
        Assert.NotEmpty(accepted);
        foreach (var group in accepted)
        {
            Assert.Equal(group.Count(), metrics.Sum("mrbot_webhook_deliveries_total", ("gitlab_event", group.Key), ("mrbot_answer", "accepted")));
        }
        Assert.Equal(accepted.Sum(g => g.Count()), metrics.Sum("mrbot_webhook_deliveries_total", ("mrbot_answer", "accepted")));

        // Evaluations: one per batch the worker completed (its own Debug line says so).
        var completed = env.Bot.Logs.Entries.Count(e => e.EventId.Id == 2202);
        Assert.True(completed >= 2, $"expected at least two completed batches, saw {completed}");
        Assert.Equal(completed, metrics.Sum("mrbot_evaluations_total", ("outcome", "completed")));
        Assert.Equal(completed, metrics.Sum("mrbot_evaluation_duration_seconds_count", ("outcome", "completed")));
        Assert.Equal(0, metrics.Sum("mrbot_evaluations_total", ("outcome", "failed")));

        // GitLab calls by endpoint template, method and status: the test GitLab's own record is the truth.
        var requests = env.GitLab.Requests;
        var mrGets = requests.Count(r => r.Method == "GET" && MergeRequestPath().IsMatch(r.Path));
        var mrPuts = requests.Count(r => r.Method == "PUT" && MergeRequestPath().IsMatch(r.Path));
        var noteCreates = requests.Count(r => r.Method == "POST" && NotesPath().IsMatch(r.Path));
        Assert.True(mrGets > 0 && mrPuts > 0 && noteCreates > 0, string.Join('\n', env.GitLab.Actions));
        var port = env.GitLab.BaseUrl.Port.ToString(CultureInfo.InvariantCulture);
        Assert.Equal(mrGets, metrics.Sum("http_client_request_duration_seconds_count",
            ("url_template", "/projects/:id/merge_requests/:iid"), ("http_request_method", "GET"), ("http_response_status_code", "200"), ("server_port", port)));
        Assert.Equal(mrPuts, metrics.Sum("http_client_request_duration_seconds_count",
            ("url_template", "/projects/:id/merge_requests/:iid"), ("http_request_method", "PUT"), ("server_port", port)));
        Assert.Equal(noteCreates, metrics.Sum("http_client_request_duration_seconds_count",
            ("url_template", "/projects/:id/merge_requests/:iid/notes"), ("http_request_method", "POST"), ("server_port", port)));
        Assert.Equal(requests.Count, metrics.Sum("http_client_request_duration_seconds_count", ("server_port", port)));

        // The webhook's own requests, by route (http.server.request.duration).
        Assert.True(metrics.Sum("http_server_request_duration_seconds_count", ("http_route", "/webhooks/gitlab")) >= accepted.Sum(g => g.Count()));

        // Gauges are there; the backlog is empty after the run.
        Assert.Equal(0, metrics.Sum("mrbot_inbox_depth"));
        Assert.True(metrics.Has("mrbot_inbox_oldest_age_seconds"), text);

        // Nothing secret, no raw path.
        Assert.DoesNotContain(env.BotUser.Token, text, StringComparison.Ordinal);
        Assert.DoesNotContain(BotHost.Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain($"/projects/{env.Project.Id}/", text, StringComparison.Ordinal);
        Assert.DoesNotMatch(RawPath(), text);
    }

    [Fact]
    public async Task Item1_metrics_count_retries_dead_letters_and_GitLab_errors()
    {
        await using var env = await BotWithGitLab.StartAsync(settings: new Dictionary<string, string?> { ["Inbox:MaxAttempts"] = "2", ["GitLab:MaxRetryAttempts"] = "1" });
        env.GitLab.InjectFault("GET", "/projects/*/merge_requests/*", Fault.ServiceUnavailable(), times: 1000);

        env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: CssAndDocs);
        await Eventually.HoldsAsync(async () => (await env.Bot.Store.ListAsync(DeliveryStatus.Dead, CancellationToken.None)).Count > 0, "a dead letter");
        env.GitLab.ClearFaults();

        var text = await env.Bot.Client.GetStringAsync("/metrics");
        var metrics = Prometheus.Parse(text);
        Assert.DoesNotMatch("url_template=\"[^\"]*\",url_template=", text);
        var failedGets = env.GitLab.Requests.Count(r => r.Method == "GET" && MergeRequestPath().IsMatch(r.Path) && r.Status == 503);
        Assert.True(failedGets >= 4, $"{failedGets}");
        var port = env.GitLab.BaseUrl.Port.ToString(CultureInfo.InvariantCulture);
        Assert.Equal(failedGets, metrics.Sum("http_client_request_duration_seconds_count",
            ("url_template", "/projects/:id/merge_requests/:iid"), ("http_response_status_code", "503"), ("server_port", port)));
        // One retry per failed attempt of the delivery (GitLab:MaxRetryAttempts = 1).
        Assert.True(failedGets / 2 == metrics.Sum("mrbot_gitlab_retries_total", ("url_template", "/projects/:id/merge_requests/:iid")),
            string.Join('\n', env.GitLab.Actions) + "\n" + metrics.Dump("mrbot_gitlab_retries_total") + metrics.Dump("mrbot_evaluations_total"));
        Assert.Equal(1, metrics.Sum("mrbot_evaluations_total", ("outcome", "failed")));
        Assert.Equal(1, metrics.Sum("mrbot_evaluations_total", ("outcome", "dead_lettered")));
        Assert.True(metrics.Sum("mrbot_inbox_dead_letters_total") >= 1);
    }

    [Fact]
    public async Task Item1_metrics_show_waits_for_the_bots_own_budget_and_GitLabs_RateLimit_Remaining()
    {
        // 240 a minute: a bucket of four tokens refilled each second. No hooks: the test's own calls are the only ones.
        await using var env = await BotWithGitLab.StartAsync(
            settings: new Dictionary<string, string?> { ["GitLab:RequestsPerMinute"] = "240", ["GitLab:RateLimitBurst"] = "1" },
            hookEvents: new HookEvents(Push: false, MergeRequests: false, Notes: false, ConfidentialNotes: false));
        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: CssAndDocs);
        Assert.False(Prometheus.Parse(await env.Bot.Client.GetStringAsync("/metrics")).Has("mrbot_gitlab_ratelimit_remaining"));
        env.GitLab.InjectFault("GET", "/projects/*/merge_requests/*", Fault.RateLimited(1));

        // Six calls at once: four tokens, so at least two wait (the 429's retry spends one more).
        var client = env.Bot.Services.GetRequiredService<GitLabMrBot.GitLab.GitLabClient>();
        var reference = new GitLabMrBot.Events.MergeRequestRef(mr.ProjectId, mr.Iid);
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => client.GetMergeRequestAsync(reference, CancellationToken.None)));

        var metrics = Prometheus.Parse(await env.Bot.Client.GetStringAsync("/metrics"));
        var waits = metrics.Sum("mrbot_gitlab_rate_limiter_waits_total", ("outcome", "acquired"));
        Assert.True(waits >= 2, metrics.Dump("mrbot_gitlab_rate_limiter_waits_total"));
        Assert.Equal(waits, metrics.Sum("mrbot_gitlab_rate_limiter_wait_duration_seconds_count", ("outcome", "acquired")));
        Assert.True(metrics.Sum("mrbot_gitlab_rate_limiter_wait_duration_seconds_sum") > 0);
        // The 429 said RateLimit-Remaining: 0; the test GitLab's other answers carry no such header.
        Assert.True(metrics.Has("mrbot_gitlab_ratelimit_remaining"));
        Assert.Equal(0, metrics.Sum("mrbot_gitlab_ratelimit_remaining"));
        Assert.Equal(1, metrics.Sum("mrbot_gitlab_retries_total", ("error_type", "429")));
    }

    [Fact]
    public async Task Item1_config_reloads_are_counted_accepted_and_refused()
    {
        await using var env = await BotWithGitLab.StartAsync();
        var provider = env.Bot.Services.GetRequiredService<Configuration.PolicyConfigProvider>();
        await File.WriteAllTextAsync(provider.Path, "{ \"policies\": [ { \"name\": 1 } ] }");
        provider.Reload();
        await File.WriteAllTextAsync(provider.Path, BotWithGitLab.DefaultConfig + "\n");
        provider.Reload();
        provider.Reload();

        var metrics = Prometheus.Parse(await env.Bot.Client.GetStringAsync("/metrics"));
        // The file watcher may reload too: the provider's own log lines are the truth.
        var refused = env.Bot.Logs.Entries.Count(e => e.EventId.Id == 6004);
        var accepted = env.Bot.Logs.Entries.Count(e => e.EventId.Id == 6003);
        Assert.True(refused >= 1 && accepted >= 1, $"{refused} refused, {accepted} accepted");
        Assert.Equal(refused, metrics.Sum("mrbot_config_reloads_total", ("outcome", "refused")));
        Assert.Equal(accepted, metrics.Sum("mrbot_config_reloads_total", ("outcome", "accepted")));
    }

    [Fact]
    public async Task Item2_one_trace_covers_the_webhook_the_worker_and_its_GitLab_calls()
    {
        var spans = new List<Activity>();
        await using var env = await BotWithGitLab.StartAsync(configureServices: (services, _) =>
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.SetSampler(new AlwaysOnSampler()).AddInMemoryExporter(spans)));

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: CssAndDocs);
        await env.WaitForQuietAsync();

        var delivery = (await env.Bot.Store.ListAsync(DeliveryStatus.Done, CancellationToken.None)).First(d => d.Event == "Merge Request Hook");
        Activity[] Snapshot()
        {
            lock (spans)
            {
                return [.. spans];
            }
        }

        Activity? webhook = null;
        await Eventually.HoldsAsync(() =>
        {
            webhook = Snapshot().FirstOrDefault(a => a.Kind == ActivityKind.Server && (a.GetTagItem("mrbot.delivery.id") as string) == delivery.Id);
            return webhook is not null;
        }, "the webhook request's span");
        var traceId = webhook!.TraceId;

        Activity? worker = null;
        Activity[] gitLabCalls = [];
        await Eventually.HoldsAsync(() =>
        {
            var trace = Snapshot().Where(a => a.TraceId == traceId).ToList();
            worker = trace.FirstOrDefault(a => a.Source.Name == "GitLabMrBot" && a.OperationName == "mrbot.process");
            gitLabCalls = [.. trace.Where(a => a.Kind == ActivityKind.Client && a.GetTagItem("url.template") is not null)];
            return worker is not null && gitLabCalls.Length > 0;
        }, "the worker's span and its GitLab calls in the webhook's trace");

        Assert.Equal(webhook.SpanId, worker!.ParentSpanId);
        Assert.Equal(delivery.Id, worker.GetTagItem("mrbot.delivery.id"));
        Assert.Equal((long)env.Project.Id, worker.GetTagItem("gitlab.project.id"));
        Assert.Equal((long)mr.Iid, worker.GetTagItem("gitlab.merge_request.iid"));
        Assert.Contains(gitLabCalls, c => (string?)c.GetTagItem("url.template") == "/projects/:id/merge_requests/:iid" && c.DisplayName == "GET /projects/:id/merge_requests/:iid");
        // Every GitLab call of the evaluation descends from the worker's span.
        var byId = Snapshot().Where(a => a.TraceId == traceId).ToDictionary(a => a.SpanId);
        Assert.All(gitLabCalls, call =>
        {
            var node = call;
            while (node.ParentSpanId != default && node.ParentSpanId != worker.SpanId && byId.TryGetValue(node.ParentSpanId, out var parent))
            {
                node = parent;
            }
            Assert.Equal(worker.SpanId, node.ParentSpanId);
        });
    }

    [Fact]
    public async Task Item3_a_failing_delivery_attempt_logs_one_line_without_a_stack_trace_at_Information()
    {
        await using var env = await BotWithGitLab.StartAsync(settings: DebugLogs);
        // Every attempt the GitLab client makes for the first delivery attempt fails (1 + 4 retries); the second succeeds.
        env.GitLab.InjectFault("GET", "/projects/*/merge_requests/*", Fault.ServerError(), times: 5);

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: CssAndDocs);
        await env.WaitForQuietAsync();
        Assert.Contains("frontend", env.GitLab.GetMergeRequest(mr).Labels);

        var atInformation = env.Bot.Logs.Entries.Where(e => e.Level >= LogLevel.Information).ToList();
        var problems = atInformation.Where(e => e.Level >= LogLevel.Warning).ToList();
        var line = Assert.Single(problems);
        output.WriteLine($"{line.Level} {line.Category}[{line.EventId.Id}]: {line.Message}");
        Assert.Null(line.Exception);
        Assert.DoesNotContain("   at ", line.Message, StringComparison.Ordinal);
        Assert.Contains($"!{mr.Iid}", line.Message, StringComparison.Ordinal);
        Assert.Contains("attempt 1", line.Message, StringComparison.Ordinal);
        Assert.Contains("500", line.Message, StringComparison.Ordinal);
        Assert.Contains("next try at", line.Message, StringComparison.Ordinal);
        Assert.All(atInformation, e => Assert.Null(e.Exception));
        // The stack trace is still there for whoever turns Debug on.
        Assert.Contains(env.Bot.Logs.Entries, e => e.Level == LogLevel.Debug && e.Exception is not null);
    }

    [GeneratedRegex(@"^/projects/\d+/merge_requests/\d+$")]
    private static partial Regex MergeRequestPath();

    [GeneratedRegex(@"^/projects/\d+/merge_requests/\d+/notes$")]
    private static partial Regex NotesPath();

    [GeneratedRegex(@"/projects/\d+")]
    private static partial Regex RawPath();
}

/// <summary>Just enough of Prometheus' text format to sum the samples of a metric whose labels match.</summary>
internal sealed partial class Prometheus
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples;

    private Prometheus(List<(string, Dictionary<string, string>, double)> samples) => _samples = samples;

    public static Prometheus Parse(string text)
    {
        var samples = new List<(string, Dictionary<string, string>, double)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var match = Sample().Match(line);
            if (!match.Success)
            {
                continue;
            }
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in Label().Matches(match.Groups["labels"].Value))
            {
                labels[label.Groups["k"].Value] = label.Groups["v"].Value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            }
            samples.Add((match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
        return new Prometheus(samples);
    }

    public string Dump(string name) =>
        string.Concat(_samples.Where(s => s.Name == name).Select(s => $"{s.Name}{{{string.Join(',', s.Labels.Select(l => $"{l.Key}={l.Value}"))}}} {s.Value}\n"));

    public bool Has(string name) => _samples.Any(s => s.Name == name);

    public double Sum(string name, params (string Key, string Value)[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$")]
    private static partial Regex Sample();

    [GeneratedRegex(@"(?<k>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<v>(\\.|[^""\\])*)""")]
    private static partial Regex Label();
}
