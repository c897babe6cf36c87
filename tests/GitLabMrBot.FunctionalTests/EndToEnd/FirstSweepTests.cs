using GitLabMrBot.Cli;
using GitLabMrBot.Configuration;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.Inbox;
using GitLabMrBot.TestGitLab;
using Microsoft.Extensions.Configuration;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>
/// Issue 15 item 2: the first sweep and the MRs that were open before the bot was installed (<c>sweep.existingMergeRequests</c>).
/// GitLab holds open MRs before the bot's first start; the start-up sweep evaluates them as the setting says, and an event
/// on one of them (a person touched it after the installation) gets the full treatment.
/// </summary>
public sealed class FirstSweepTests
{
    private static string Config(string? existing, bool needsRebase = false) => $$"""
        {
          "labels": { "frontend": "#1f75cb", "docs": "#0e8a16" },
          "policies": [
            { "name": "frontend", "when": { "changedFiles": ["web/**", "**/*.css"] },
              "then": { "addLabels": ["frontend"], "reviewers": { "users": ["bob"], "count": 1 }, "comment": "Front-end change: check it in a browser." } },
            { "name": "docs-only", "when": { "onlyChangedFiles": ["docs/**", "**/*.md"] }, "then": { "addLabels": ["docs"] } }
          ],
          "sizeLabels": { "prefix": "size::", "thresholds": { "XS": 10, "S": 100 }, "largest": "L" },
          "sweep": { "groups": ["acme"]{{(existing is null ? "" : $", \"existingMergeRequests\": \"{existing}\"")}} },
          {{(needsRebase ? "\"needsRebase\": { \"label\": \"needs-rebase\" }," : "")}}
          "summaryComment": true
        }
        """;

    private static readonly Dictionary<string, string?> Settings = new()
    {
        // A restart's sweep looks back exactly to the last one: what it finds was updated after it.
        ["Sweep:Overlap"] = "00:00:00",
        // Mergeability re-checks come quickly.
        ["Rechecks:FirstDelay"] = "00:00:00.300",
        ["Rechecks:MaxDelay"] = "00:00:01",
        ["Rechecks:MaxAttempts"] = "60",
    };

    private static Dictionary<string, string?> Files(string path, string content) => new() { [path] = content };

    private sealed record Seeded(GitLabMergeRequest Css, GitLabMergeRequest Docs);

    private static async Task<(BotWithGitLab Env, Seeded Old)> StartWithOldMergeRequestsAsync(string? existing, bool needsRebase = false, Action<BotWithGitLab, Seeded>? seed = null)
    {
        Seeded? old = null;
        var env = await BotWithGitLab.StartAsync(Config(existing, needsRebase), Settings, beforeBotStarts: env =>
        {
            var bob = env.GitLab.AddUser("bob", "Bob");
            env.GitLab.AddMember(env.Project, bob, AccessLevel.Developer);
            old = new Seeded(
                env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style", "style", files: Files("web/app.css", "body { color: red; }\n")),
                env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Docs", "docs", files: Files("docs/guide.md", "# Guide\n")));
            seed?.Invoke(env, old);
        });
        return (env, old!);
    }

    private static async Task<IReadOnlyList<StoredDelivery>> SweepsOfAsync(BotWithGitLab env, GitLabMergeRequest mr) =>
        [.. (await env.Bot.Store.ListAsync(null, CancellationToken.None))
            .Where(d => d.DedupeKey.StartsWith("sweep:", StringComparison.Ordinal) && d.Subject == $"mr:{mr.ProjectId}:{mr.Iid}")];

    [Fact]
    public async Task Item2_first_sweep_with_the_default_labels_old_mrs_without_notes_or_reviewers_and_an_event_gets_the_full_treatment()
    {
        var (env, old) = await StartWithOldMergeRequestsAsync(existing: null);
        await using var _ = env;
        await Eventually.HoldsAsync(
            () => env.GitLab.GetMergeRequest(old.Css).Labels.Count > 0 && env.GitLab.GetMergeRequest(old.Docs).Labels.Count > 0,
            "the first sweep to label both old MRs", TimeSpan.FromSeconds(60));
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "size::XS"], env.GitLab.GetMergeRequest(old.Css).Labels.Order());
        Assert.Equal(["docs", "size::XS"], env.GitLab.GetMergeRequest(old.Docs).Labels.Order());
        Assert.Empty(env.BotNotes(old.Css));
        Assert.Empty(env.BotNotes(old.Docs));
        Assert.Empty(env.GitLab.GetMergeRequest(old.Css).Reviewers);
        Assert.DoesNotContain(env.Writes, w => w.Contains("/notes", StringComparison.Ordinal));

        // The bot's own label write made the MR "updated after the last sweep": a restart's sweep evaluates it again,
        // and it is still an MR older than the installation that no event brought.
        await env.StopBotAsync();
        await env.StartBotAsync();
        await Eventually.HoldsAsync(async () => (await SweepsOfAsync(env, old.Css)).Count(d => d.Status == DeliveryStatus.Done) >= 2,
            "the restart's sweep to evaluate the old MR again", TimeSpan.FromSeconds(60));
        await env.WaitForQuietAsync();
        Assert.Empty(env.BotNotes(old.Css));

        // A person edits it: the event brings the full treatment (summary note, policy comment, reviewer).
        env.GitLab.UpdateMergeRequest(env.Alice, old.Css, new MergeRequestUpdate { Title = "Style: red body" });
        await Eventually.HoldsAsync(() => env.BotNotes(old.Css).Count >= 2, "the summary note and the comment after the event", TimeSpan.FromSeconds(60));
        await env.WaitForQuietAsync();

        Assert.Contains(env.BotNotes(old.Css), n => n.Contains("Front-end change: check it in a browser.", StringComparison.Ordinal));
        Assert.Equal(["bob"], env.GitLab.GetMergeRequest(old.Css).Reviewers);
        Assert.Empty(env.BotNotes(old.Docs));
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item2_a_mergeability_recheck_the_first_sweep_scheduled_is_no_event_and_posts_no_note()
    {
        // GitLab is still computing whether the old MR can be merged when the first sweep evaluates it: a re-check follows.
        var (env, old) = await StartWithOldMergeRequestsAsync(existing: null, needsRebase: true, seed: (env, old) => env.GitLab.SetMergeStatus(old.Css, "checking"));
        await using var _ = env;
        await Eventually.HoldsAsync(async () => (await env.Bot.Store.ListAsync(null, CancellationToken.None))
                .Any(d => d.DedupeKey.StartsWith("recheck:", StringComparison.Ordinal) && d.Subject == $"mr:{old.Css.ProjectId}:{old.Css.Iid}"),
            "the first sweep's evaluation to schedule a mergeability re-check", TimeSpan.FromSeconds(60));
        env.GitLab.SetMergeStatus(old.Css, null, hasConflicts: true);
        await Eventually.HoldsAsync(() => env.GitLab.GetMergeRequest(old.Css).Labels.Contains("needs-rebase"),
            "the re-check to see the conflict", TimeSpan.FromSeconds(60));
        await env.WaitForQuietAsync();

        Assert.Equal(["frontend", "needs-rebase", "size::XS"], env.GitLab.GetMergeRequest(old.Css).Labels.Order());
        var triggers = (await env.Bot.Store.ListAsync(null, CancellationToken.None)).Select(d => $"{d.Event} {d.DedupeKey} {d.Subject}");
        Assert.True(env.BotNotes(old.Css).Count == 0, "notes were posted; the bot's triggers: " + string.Join("; ", triggers));
        Assert.Empty(env.GitLab.GetMergeRequest(old.Css).Reviewers);
        Assert.Empty(env.Problems());
    }

    [Fact]
    public async Task Item2_plan_with_the_bots_store_shows_the_installation_and_treats_an_mr_an_event_reached_fully()
    {
        var (env, old) = await StartWithOldMergeRequestsAsync(existing: null);
        await using var _ = env;
        await Eventually.HoldsAsync(() => env.GitLab.GetMergeRequest(old.Docs).Labels.Count > 0, "the first sweep to label the old MRs", TimeSpan.FromSeconds(60));
        await env.WaitForQuietAsync();
        env.GitLab.UpdateMergeRequest(env.Alice, old.Css, new MergeRequestUpdate { Title = "Style: red body" });
        await Eventually.HoldsAsync(() => env.BotNotes(old.Css).Count >= 2, "the full treatment after the event", TimeSpan.FromSeconds(60));
        await env.WaitForQuietAsync();
        var newer = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Newer", "newer", files: Files("web/n.css", "n {}\n"));
        await env.WaitForQuietAsync();
        env.GitLab.ClearRequests();

        using var directory = new TempDirectory();
        await File.WriteAllTextAsync(directory.File("bot.config.json"), Config(null));
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [BotSettings.GitLabUrlKey] = env.GitLab.BaseUrl.ToString(),
            [BotSettings.GitLabTokenKey] = env.GitLab.CreateToken(env.BotUser, "read_api"),
            [BotSettings.ConfigPathKey] = directory.File("bot.config.json"),
        }).Build();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CommandLine.RunAsync(["plan", "--group", "acme", "--database", env.DatabasePath], output, error, () => settings, _ => throw new InvalidOperationException("no server"));
        var lines = output.ToString().Split('\n', StringSplitOptions.TrimEntries);

        Assert.True(exit == 0, $"{output}\n{error}");
        Assert.Contains(lines, l => l.StartsWith("note: The bot was installed at ", StringComparison.Ordinal));
        // An event reached the bot for the first: fully treated, and already done. The second: still an MR of before the bot.
        Assert.Contains($"acme/app!{old.Css.Iid}  no changes  summary note: none", lines);
        Assert.Contains($"acme/app!{old.Docs.Iid}  no changes  summary note: none  (labels only: open before the installation)", lines);
        Assert.Contains($"acme/app!{newer.Iid}  no changes  summary note: none", lines);
        Assert.Empty(env.GitLab.Writes);
    }

    [Fact]
    public async Task Item2_an_mr_opened_after_the_installation_and_found_by_the_sweep_gets_the_full_treatment()
    {
        var (env, _) = await StartWithOldMergeRequestsAsync(existing: null);
        await using var __ = env;
        await env.WaitForQuietAsync();
        await env.StopBotAsync();
        var missed = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Missed", "missed", files: Files("web/b.css", "a {}\n"));
        await env.GitLab.WaitForDeliveriesAsync(TimeSpan.FromSeconds(60));
        await env.StartBotAsync();
        await Eventually.HoldsAsync(() => env.BotNotes(missed).Count >= 2, "the sweep to give the new MR its notes", TimeSpan.FromSeconds(60));
        await env.WaitForQuietAsync();

        Assert.Contains(env.BotNotes(missed), n => n.Contains("Front-end change", StringComparison.Ordinal));
        Assert.Empty(env.Problems());
    }

    [Theory]
    [InlineData("full")]
    [InlineData("skip")]
    public async Task Item2_the_setting_full_evaluates_old_mrs_fully_and_skip_leaves_them_alone(string existing)
    {
        var (env, old) = await StartWithOldMergeRequestsAsync(existing);
        await using var _ = env;
        await Eventually.HoldsAsync(async () => (await SweepsOfAsync(env, old.Css)).Any(d => d.Status == DeliveryStatus.Done),
            "the first sweep's evaluation of the old MR", TimeSpan.FromSeconds(60));
        await env.WaitForQuietAsync();

        if (existing == "full")
        {
            Assert.Contains(env.BotNotes(old.Css), n => n.Contains("Front-end change", StringComparison.Ordinal));
            Assert.Equal(["bob"], env.GitLab.GetMergeRequest(old.Css).Reviewers);
            Assert.Single(env.BotNotes(old.Docs));
        }
        else
        {
            Assert.Empty(env.Writes);
            Assert.Empty(env.GitLab.GetMergeRequest(old.Css).Labels);
        }
        Assert.Empty(env.Problems());
    }
}
