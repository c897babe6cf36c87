using System.Diagnostics;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.Inbox;
using GitLabMrBot.TestGitLab;
using Xunit.Abstractions;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>
/// Issue 12 item 4: GitLab down or throttling does not burn the deliveries' attempts. The bot runs against the test
/// GitLab over real HTTP; the outage is the test GitLab's faults on every API call.
/// </summary>
public sealed class OutageTests(ITestOutputHelper output)
{
    private static bool Converged(BotWithGitLab env, GitLabMergeRequest mr) =>
        env.GitLab.GetMergeRequest(mr).Labels.Contains("size::XS") && env.BotNotes(mr).Count == 1;

    [Fact]
    public async Task Defect6_a_Retry_After_above_60_s_reschedules_the_delivery_for_then_without_counting_an_attempt()
    {
        await using var env = await BotWithGitLab.StartAsync();
        // GitLab's throttles answer Retry-After up to their period, which administrators may set above a minute.
        env.GitLab.InjectFault("*", "/projects/*/merge_requests/**", Fault.RateLimited(retryAfterSeconds: 120));

        env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Docs", "docs", files: new Dictionary<string, string?> { ["docs/a.md"] = "a\n" });
        StoredDelivery? throttled = null;
        await Eventually.HoldsAsync(async () =>
        {
            throttled = (await env.Bot.Store.ListAsync(null, CancellationToken.None))
                .FirstOrDefault(d => d.Status != DeliveryStatus.Processing && (d.LastError is not null || d.Attempts > 0));
            return throttled is not null;
        }, "the throttled delivery to be rescheduled");

        var wait = throttled!.NextAttemptAt - DateTimeOffset.UtcNow;
        output.WriteLine($"status {throttled.Status}, attempts {throttled.Attempts}, next attempt in {wait.TotalSeconds:0} s, last error: {throttled.LastError}");
        Assert.True(throttled.Attempts == 0, $"the 429 counted as attempt {throttled.Attempts}; next attempt in {wait.TotalSeconds:0.0} s");
        Assert.Equal(DeliveryStatus.Pending, throttled.Status);
        Assert.True(wait > TimeSpan.FromSeconds(110), $"the next attempt comes in {wait.TotalSeconds:0.0} s, not after GitLab's 120 s Retry-After");
        Assert.Contains("429", throttled.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Defect6_a_long_outage_leaves_no_dead_letters_and_every_MR_converges_once_GitLab_returns()
    {
        // Scaled down: a delivery's whole retry budget here is about 0.3 s (3 attempts, 0.1 s doubling, one call each),
        // and the outage lasts 6 s, 20 times as long; by default the budget is about 13 minutes, so this is a
        // 4-hour outage at production settings. The breaker probes every 0.5 s (15 s by default).
        var outage = TimeSpan.FromSeconds(6);
        await using var env = await BotWithGitLab.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Inbox:MaxAttempts"] = "3",
            ["GitLab:MaxRetryAttempts"] = "1",
            ["GitLab:Circuit:BreakDuration"] = "00:00:00.500",
            ["GitLab:Circuit:SamplingDuration"] = "00:00:02",
            ["GitLab:Circuit:MinimumThroughput"] = "4",
        });
        env.GitLab.InjectFault("*", "/**", Fault.ServiceUnavailable(), times: int.MaxValue);
        var down = Stopwatch.StartNew();

        var mrs = new List<GitLabMergeRequest>();
        for (var i = 0; i < 10; i++)
        {
            mrs.Add(env.GitLab.OpenMergeRequest(env.Project, env.Alice, $"Docs {i}", $"docs-{i}",
                files: new Dictionary<string, string?> { [$"docs/{i}.md"] = $"{i}\n" }));
        }
        await env.GitLab.WaitForDeliveriesAsync(TimeSpan.FromSeconds(30));
        // Half the outage GitLab answers 503, the other half it is unreachable (connections dropped).
        await Eventually.HoldsAsync(() => down.Elapsed >= outage / 2, "the first half of the outage", outage * 2);
        env.GitLab.ClearFaults();
        env.GitLab.InjectFault("*", "/**", Fault.DropConnection(), times: int.MaxValue);
        await Eventually.HoldsAsync(() => down.Elapsed >= outage, "the outage to last its time", outage * 2);
        var refusedDuringOutage = env.GitLab.Requests.Count;
        var deadDuringOutage = (await env.Bot.Store.ListAsync(DeliveryStatus.Dead, CancellationToken.None)).Count;

        env.GitLab.ClearFaults();
        var back = Stopwatch.StartNew();
        // Until every MR converged, or nothing is left to try (what a dead letter leaves unconverged stays so).
        await Eventually.HoldsAsync(async () => mrs.All(mr => Converged(env, mr))
            || (await env.Bot.Store.ListAsync(null, CancellationToken.None)).All(d => d.Status is DeliveryStatus.Done or DeliveryStatus.Dead),
            "every MR to converge after GitLab returned", TimeSpan.FromSeconds(60));
        var converged = back.Elapsed;
        var all = await env.Bot.Store.ListAsync(null, CancellationToken.None);
        var dead = all.Count(d => d.Status == DeliveryStatus.Dead);
        Assert.True(dead == 0, $"{dead} of {all.Count} deliveries are dead letters after the outage ({deadDuringOutage} during it)");
        Assert.True(mrs.All(mr => Converged(env, mr)), "not every MR converged");
        await env.WaitForQuietAsync();
        output.WriteLine(
            $"outage {outage.TotalSeconds:0} s: {refusedDuringOutage} API requests refused, {deadDuringOutage} dead letters during it, {dead} after; " +
            $"all {mrs.Count} MRs converged {converged.TotalSeconds:0.0} s after GitLab returned; most attempts counted on a delivery: {all.Max(d => d.Attempts)}");
        Assert.True(converged < TimeSpan.FromSeconds(10), $"converged {converged.TotalSeconds:0.0} s after GitLab returned");
        Assert.All(mrs, mr => Assert.Single(env.BotNotes(mr)));
    }
}
