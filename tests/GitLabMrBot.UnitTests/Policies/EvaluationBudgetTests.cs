using Xunit.Abstractions;
using System.Diagnostics;
using GitLabMrBot.Policies;
using static GitLabMrBot.UnitTests.Policies.PolicyTestKit;

namespace GitLabMrBot.UnitTests.Policies;

/// <summary>
/// Issue 12, defect 5: regular expressions have a time budget per evaluation (2 s by default) and per policy (1 s),
/// not only a timeout per match (250 ms): before, <c>(a+)+$</c> under <c>commitMessages</c> on an MR with 1,000
/// commits ran 1,000 matches of 250 ms each.
/// </summary>
public sealed class EvaluationBudgetTests(ITestOutputHelper output)
{
    // The defaults (PolicyConfigLoader): 2 s for the evaluation; the margin covers start-up and a loaded CI machine.
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(2);

    // 1,000 commit messages that make a backtracking (a+)+$ try every split of 20 a's before failing on the '!': each
    // match stays under a generous per-match timeout, so only a budget for all of them together bounds the evaluation.
    private static readonly string[] Commits = [.. Enumerable.Range(0, 1000).Select(i => new string('a', 20) + "!")];

    private static readonly TimeSpan GenerousMatchTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Defect5_catastrophic_commit_regex_on_1000_commits_is_decided_within_the_budget()
    {
        var config = Compile("""
            { "policies": [ { "name": "evil", "when": { "commitMessages": "(a+)+$" }, "then": { "addLabels": ["hit"] } } ] }
            """, regexTimeout: GenerousMatchTimeout);

        var (plan, elapsed) = await EvaluateWithin(Mr(commits: Commits), config);
        output.WriteLine($"(a+)+$ on 1000 commit messages: {elapsed.TotalMilliseconds:0} ms");

        Assert.True(elapsed < Budget + Margin, $"took {elapsed.TotalMilliseconds:0} ms");
        // The linear-time engine decides it: no match, and nothing undecided.
        Assert.Empty(plan.LabelsToAdd);
        Assert.DoesNotContain(plan.Decisions, d => d.Kind is DecisionKind.RegexTimeout or DecisionKind.TimeBudgetExceeded);
    }

    [Fact]
    public async Task Defect5_backtracking_pattern_runs_out_of_its_policy_budget_and_the_summary_says_which_policy()
    {
        // A lookahead keeps this pattern on the backtracking engine: every match runs into its timeout.
        var config = Compile("""
            { "policies": [
              { "name": "evil", "when": { "commitMessages": "(?=a)(a+)+$" }, "then": { "addLabels": ["hit"] } },
              { "name": "feature", "when": { "title": "^feat" }, "then": { "addLabels": ["feature"] } }
            ] }
            """, regexTimeout: GenerousMatchTimeout);

        var (plan, elapsed) = await EvaluateWithin(Mr(title: "feat: x", commits: Commits), config);
        output.WriteLine($"(?=a)(a+)+$ on 1000 commit messages, then a title regex: {elapsed.TotalMilliseconds:0} ms");
        output.WriteLine(string.Join("\n", plan.Decisions.Select(d => d.Text)));

        Assert.True(elapsed < Budget + Margin, $"took {elapsed.TotalMilliseconds:0} ms");
        Assert.Equal(["feature"], Added(plan)); // the policy budget leaves time for the policies after the costly one
        var skipped = plan.Decisions.Where(d => d.Kind == DecisionKind.TimeBudgetExceeded).Select(d => d.Subject).ToList();
        Assert.Contains("evil", skipped);
        var summary = SummaryComment.Render(plan);
        Assert.Contains("policy evil not applied: commit message regex", summary);
        Assert.Contains("time budget for regular expressions", summary);
    }

    [Fact]
    public void The_policy_budget_bounds_each_policy_and_the_total_bounds_them_all()
    {
        var config = Compile("""
            { "policies": [
              { "name": "a", "when": { "commitMessages": "(?=a)(a+)+$" }, "then": { "addLabels": ["a"] } },
              { "name": "b", "when": { "commitMessages": "(?=a)(a+)+$" }, "then": { "addLabels": ["b"] } },
              { "name": "c", "when": { "commitMessages": "(?=a)(a+)+$" }, "then": { "addLabels": ["c"] } }
            ] }
            """, regexTimeout: GenerousMatchTimeout);

        var started = Stopwatch.GetTimestamp();
        var plan = PolicyEngine.Evaluate(Mr(commits: Commits), config);
        var elapsed = Stopwatch.GetElapsedTime(started);
        output.WriteLine($"three policies with (?=a)(a+)+$ on 1000 commit messages: {elapsed.TotalMilliseconds:0} ms");

        Assert.True(elapsed < Budget + Margin, $"took {elapsed.TotalMilliseconds:0} ms");
        var texts = plan.Decisions.Where(d => d.Kind == DecisionKind.TimeBudgetExceeded).Select(d => d.Text).ToList();
        Assert.True(texts.Count == 3, string.Join("\n", texts));
        var all = string.Join("\n", texts);
        Assert.True(texts.Count(t => t.Contains("the policy's time budget for regular expressions (1000 ms) ran out", StringComparison.Ordinal)) == 2, all);
        // 1 s each for a and b leaves nothing of the 2 s for c.
        Assert.True(texts.Any(t => t.StartsWith("policy c not applied", StringComparison.Ordinal) && t.Contains("the evaluation's time budget", StringComparison.Ordinal)), all);
    }

    // Runs the evaluation on the thread pool and waits no longer than budget + margin, so the unfixed code fails in
    // seconds rather than after its minutes of matching.
    private static async Task<(Plan Plan, TimeSpan Elapsed)> EvaluateWithin(MergeRequestSnapshot mr, CompiledConfig config)
    {
        var started = Stopwatch.GetTimestamp();
        var evaluation = Task.Run(() => PolicyEngine.Evaluate(mr, config));
        var finished = await Task.WhenAny(evaluation, Task.Delay(Budget + Margin + Margin));
        var elapsed = Stopwatch.GetElapsedTime(started);
        Assert.True(finished == evaluation, $"the evaluation was still running after {elapsed.TotalMilliseconds:0} ms");
        return (await evaluation, elapsed);
    }
}
