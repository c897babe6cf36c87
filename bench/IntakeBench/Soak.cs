using System.Diagnostics;
using System.Globalization;
using GitLabMrBot.TestGitLab;

namespace IntakeBench;

/// <summary>
/// The published bot against the test GitLab at a steady rate of pushes to open MRs' branches (each fires a Push Hook
/// and a Merge Request Hook that the bot evaluates), for some minutes; RSS each minute, and whether RSS at the end is
/// within 20 % of RSS after the first minute.
/// </summary>
internal static class Soak
{
    private const string Secret = "soak-bench-secret";
    private const int MergeRequests = 20;

    public static async Task<int> RunAsync(string botDll, string config, int minutes, int pushesPerSecond)
    {
        await using var gitLab = new TestGitLabServer();
        await gitLab.StartAsync();
        var botUser = gitLab.AddUser("mrbot", "MR Bot", bot: true);
        var alice = gitLab.AddUser("alice", "Alice");
        var group = gitLab.AddGroup("acme");
        var project = gitLab.AddProject("acme/app", files: new Dictionary<string, string> { ["README.md"] = "# app\n" });
        gitLab.AddMember(project, botUser, AccessLevel.Developer);
        gitLab.AddMember(project, alice, AccessLevel.Developer);

        await using var bot = await BotProcess.StartAsync(botDll, new Dictionary<string, string>
        {
            ["GITLAB_URL"] = gitLab.BaseUrl.ToString(),
            ["GITLAB_TOKEN"] = botUser.Token,
            ["GITLAB_WEBHOOK_SECRET"] = Secret,
            ["MRBOT_CONFIG"] = config,
            ["Rechecks__MaxAttempts"] = "0",
        });
        gitLab.AddHook(group, bot.Url("/webhooks/gitlab"), Secret);
        var mrs = Enumerable.Range(0, MergeRequests)
            .Select(i => (Branch: $"feature-{i}", Mr: gitLab.OpenMergeRequest(project, alice, $"feat: page {i}", $"feature-{i}", files: Css(i, 0))))
            .ToList();

        Console.WriteLine($"soak: {minutes} min, {pushesPerSecond} pushes a second over {MergeRequests} MRs (each push: a Push Hook and a Merge Request Hook)");
        var series = new List<double>();
        var clock = Stopwatch.StartNew();
        var pushes = 0;
        var interval = TimeSpan.FromSeconds(1.0 / pushesPerSecond);
        var nextMinute = TimeSpan.FromMinutes(1);
        // Until the last minute's sample is taken.
        while (series.Count < minutes && !bot.HasExited)
        {
            var (branch, _) = mrs[pushes % mrs.Count];
            gitLab.Push(alice, project, branch, Css(pushes % mrs.Count, pushes + 1));
            pushes++;
            if (clock.Elapsed >= nextMinute)
            {
                var rss = bot.RssMb();
                series.Add(rss);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  minute {series.Count,2}: RSS {rss,6:F1} MB, pushes {pushes,6}, GitLab API requests {gitLab.Requests.Count,7}"));
                nextMinute += TimeSpan.FromMinutes(1);
            }
            // Steady: the next push at its slot, whatever this one cost.
            var due = interval * pushes - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }
        }

        if (bot.HasExited || series.Count < 2)
        {
            Console.WriteLine(bot.HasExited ? "FAIL: the bot exited" : "FAIL: run at least 2 minutes");
            return 1;
        }
        var change = (series[^1] - series[0]) / series[0];
        var pass = Math.Abs(change) <= 0.20;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RSS at minute {series.Count} vs minute 1: {series[^1]:F1} / {series[0]:F1} MB ({change:+0.0%;-0.0%}): {(pass ? "PASS" : "FAIL")} (within 20 %)"));
        return pass ? 0 : 1;
    }

    // The same size every push (only the colour changes), so the MRs' diffs do not grow with the run.
    private static Dictionary<string, string?> Css(int mr, int version) =>
        new() { [$"web/page{mr}.css"] = string.Concat(Enumerable.Repeat($"a {{ color: #{version % 0xFFFFFF:x6}; }}\n", 20 + mr)) };
}
