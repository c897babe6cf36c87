using System.Globalization;
using System.Security.Cryptography;
using GitLabMrBot.Admin;
using GitLabMrBot.Configuration;
using GitLabMrBot.Inbox;
using GitLabMrBot.TestGitLab;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace GitLabMrBot.Cli.Demo;

/// <summary>What <c>demo</c> was asked for on its command line.</summary>
internal sealed record DemoOptions(string ConfigPath, bool Keep, bool Verbose, int? BotPort, int? GitLabPort);

/// <summary>
/// <c>demo</c>: the simulated GitLab and the real bot side by side on loopback, real HTTP both ways. GitLab gets a team,
/// a project and a webhook to the bot; the bot gets the repository's policy file with only the GitLab URL pointed at the
/// simulation, a store file of its own, and secrets made for this run. Then people open merge requests, and once
/// nothing moves any more the demo shows what the bot did and checks it against the policy file (<see cref="DemoReport"/>).
/// </summary>
internal static class DemoRun
{
    /// <summary>Long enough for a slow, busy machine; the demo settles in a few seconds.</summary>
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(DemoOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var started = time.GetTimestamp();
        var configPath = Path.GetFullPath(options.ConfigPath);
        if (!File.Exists(configPath))
        {
            await error.WriteLineAsync($"demo: {configPath} not found: run the demo from the repository root, or name a policy file with --config PATH.");
            return CliExit.Failed;
        }

        var folder = Directory.CreateTempSubdirectory("mrbot-demo-");
        try
        {
            await using var gitLab = new TestGitLabServer { Port = options.GitLabPort ?? 0 };
            try
            {
                await gitLab.StartAsync(cancellationToken);
            }
            catch (IOException e)
            {
                await error.WriteLineAsync($"demo: the simulated GitLab cannot listen on 127.0.0.1:{options.GitLabPort}: {e.Message} (choose another --gitlab-port, or leave it out for a free one).");
                return CliExit.Failed;
            }
            var world = DemoWorld.Seed(gitLab);
            var secrets = new DemoSecrets(RandomNumberGenerator.GetHexString(40, lowercase: true), RandomNumberGenerator.GetHexString(40, lowercase: true));

            var builder = BotApplication.CreateBuilder(["--urls", string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{options.BotPort ?? 0}")]);
            // Laid over every other source, so settings exported for a real GitLab cannot point the demo at it.
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [BotSettings.GitLabUrlKey] = gitLab.BaseUrl.ToString(),
                [BotSettings.GitLabTokenKey] = world.BotToken,
                [BotSettings.WebhookSecretKey] = secrets.Webhook,
                [BotSettings.SigningTokenKey] = null,
                [BotSettings.ConfigPathKey] = configPath,
                [BotSettings.DatabaseKey] = Path.Combine(folder.FullName, "mrbot.db"),
                [AdminToken.Key] = secrets.Admin,
                ["Logging:LogLevel:Default"] = options.Verbose ? "Information" : "Warning",
            });
            if (BotApplication.DescribeStartupProblems(builder.Configuration) is { } problems)
            {
                await error.WriteLineAsync($"demo: the bot cannot start with {options.ConfigPath}:");
                await error.WriteLineAsync(problems);
                return CliExit.Failed;
            }

            await using var bot = builder.Build();
            bot.MapBot();
            try
            {
                await bot.StartAsync(cancellationToken);
            }
            catch (IOException e)
            {
                await error.WriteLineAsync($"demo: the bot cannot listen on 127.0.0.1:{options.BotPort}: {e.Message} (choose another --port, or leave it out for a free one).");
                return CliExit.Failed;
            }
            var botUrl = new Uri(bot.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
            // As `install` would: a group hook for merge request, note and push events, with the secret as its token.
            gitLab.AddHook(world.Group, new Uri(botUrl, "webhooks/gitlab"), secrets.Webhook);

            await output.WriteLineAsync($"Simulated GitLab  {gitLab.BaseUrl}  (group {DemoWorld.GroupPath}, project {DemoWorld.ProjectPath}, bot user @{DemoWorld.BotUsername})");
            await output.WriteLineAsync($"Bot               {botUrl}  (policies from {options.ConfigPath}, store in a temporary folder)");
            await output.WriteLineAsync("");

            var scenarios = world.OpenMergeRequests();
            var store = bot.Services.GetRequiredService<IInboxStore>();
            // The conflict comes after the bot has seen the MR open, as when main moves on under it.
            var settled = await SettleAsync(gitLab, store, time, cancellationToken);
            world.ConflictOnMain(scenarios[^1]);
            settled = settled && await SettleAsync(gitLab, store, time, cancellationToken);

            var report = await DemoReport.CreateAsync(bot.Services, gitLab, world, scenarios, cancellationToken);
            await report.WriteAsync(output);
            var elapsed = time.GetElapsedTime(started);
            var failures = report.Failures.ToList();
            if (!settled)
            {
                failures.Insert(0, string.Create(CultureInfo.InvariantCulture, $"the bot had not settled after {SettleTimeout.TotalSeconds:0} s (deliveries still waiting)"));
            }
            if (failures.Count > 0)
            {
                await error.WriteLineAsync($"demo: the bot did not do what {options.ConfigPath} says:");
                foreach (var failure in failures)
                {
                    await error.WriteLineAsync($"  - {failure}");
                }
                return CliExit.Failed;
            }
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"All {scenarios.Count} merge requests are as {options.ConfigPath} says ({elapsed.TotalSeconds:0.0} s)."));

            if (options.Keep)
            {
                await output.WriteLineAsync("");
                await output.WriteLineAsync($"Merge requests    {gitLab.BaseUrl}{DemoWorld.ProjectPath}/-/merge_requests");
                await output.WriteLineAsync($"Bot status page   {botUrl}status");
                await output.WriteLineAsync($"Admin token       {secrets.Admin}  (sign in on the status page with it, or send it as Authorization: Bearer; made for this run only)");
                await output.WriteLineAsync($"  curl -H 'Authorization: Bearer {secrets.Admin}' {botUrl}status");
                // The other verbs work on the simulation as on a GitLab: the bot user's token, made for this run.
                await output.WriteLineAsync("Try plan on the simulated GitLab, in another terminal:");
                await output.WriteLineAsync($"  GITLAB_URL={gitLab.BaseUrl} GITLAB_TOKEN={world.BotToken} dotnet run --project src/GitLabMrBot -- plan --group {DemoWorld.GroupPath}");
                await output.WriteLineAsync("Running until Ctrl+C.");
                // Ctrl+C reaches both the command line and the bot's own host (its console lifetime stops it): whichever
                // sees it first ends the wait, so the demo never waits on a signal the other one took.
                var lifetime = bot.Services.GetRequiredService<IHostApplicationLifetime>();
                using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
                await WaitForCancellationAsync(either.Token);
            }
            // Bounded: a demo that was asked to stop stops, even if a background call of the bot hangs.
            using var stopping = new CancellationTokenSource(StopTimeout);
            await bot.StopAsync(stopping.Token);
            return CliExit.Ok;
        }
        finally
        {
            // The store's connections are pooled: released first, so the folder can go.
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Until nothing happens any more: GitLab has sent every webhook, the bot has no delivery waiting (re-checks it scheduled
    /// included), and neither made a request or a delivery over three looks in a row. False when that takes too long.
    /// </summary>
    private static async Task<bool> SettleAsync(TestGitLabServer gitLab, IInboxStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + SettleTimeout;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100), time);
        var (stable, last) = (0, -1);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                await gitLab.WaitForDeliveriesAsync(deadline - time.GetUtcNow());
            }
            catch (Exception e) when (e is TimeoutException or ArgumentOutOfRangeException)
            {
                return false;
            }
            var waiting = (await store.ListAsync(DeliveryStatus.Pending, cancellationToken)).Count
                + (await store.ListAsync(DeliveryStatus.Processing, cancellationToken)).Count;
            var activity = gitLab.Deliveries.Count + gitLab.Requests.Count;
            stable = waiting == 0 && activity == last ? stable + 1 : 0;
            last = activity;
            if (stable >= 3)
            {
                return true;
            }
            if (time.GetUtcNow() > deadline)
            {
                return false;
            }
        }
        return false;
    }

    private static async Task WaitForCancellationAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the demo ends as it should.
        }
    }

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private sealed record DemoSecrets(string Webhook, string Admin);
}
