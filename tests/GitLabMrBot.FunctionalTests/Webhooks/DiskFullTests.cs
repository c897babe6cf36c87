using System.Globalization;
using System.Net;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace GitLabMrBot.FunctionalTests.Webhooks;

/// <summary>
/// Issue 12, item 8 (defect 9): while the store cannot write, the intake answers 503 with <c>Retry-After</c> and
/// <c>/readyz</c> says why; both, and the worker, recover by themselves within seconds of space returning. The full disk
/// is SQLite's own SQLITE_FULL, from a page cap on the bot's writer connection (no root, no real disk filled).
/// </summary>
public sealed class DiskFullTests
{
    [Fact]
    public async Task Defect9_disk_full_answers_503_with_retry_after_readyz_says_so_and_both_recover_within_seconds()
    {
        var reconciler = new RecordingReconciler();
        await using var host = await BotHost.StartAsync(configureServices: (services, _) =>
            services.AddSingleton<Processing.Reconciliation.IMergeRequestReconciler>(reconciler));
        var database = host.Services.GetRequiredService<SqliteDatabase>();
        var project = Payloads.UniqueProjectId();
        using (var before = await host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", Padded(project, 1))))
        {
            Assert.Equal(HttpStatusCode.Accepted, before.StatusCode);
        }

        // The worker's writes to the first delivery (claim, completion) are done, so the free pages are counted right.
        await Eventually.HoldsAsync(async () => (await host.Store.ListAsync(GitLabMrBot.Inbox.DeliveryStatus.Done, CancellationToken.None)).Count == 1,
            "the first delivery is processed", TimeSpan.FromSeconds(15));

        // Full: the file may not grow by one page more. Its free pages can still be reused, so the next body is larger than they are.
        var (pages, free) = PageCounts(host.DatabasePath);
        database.MaxPageCount = pages;
        using var refused = await host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", Padded(project, 2, (free + 16) * 4096)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        var lastReadiness = "";
        await Eventually.HoldsAsync(async () =>
        {
            using var ready = await host.Client.GetAsync("/readyz");
            lastReadiness = $"{(int)ready.StatusCode} {await ready.Content.ReadAsStringAsync()}";
            return ready.StatusCode == HttpStatusCode.ServiceUnavailable && lastReadiness.Contains("full", StringComparison.OrdinalIgnoreCase);
        }, "/readyz answers 503 naming the full store", TimeSpan.FromSeconds(10));
        Assert.Contains("\"inbox\":\"the store cannot write", lastReadiness, StringComparison.Ordinal);

        // Space returns: nothing is restarted, nothing else is sent but probes and the next delivery.
        database.MaxPageCount = 0;
        await Eventually.HoldsAsync(async () =>
        {
            using var ready = await host.Client.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.OK;
        }, "/readyz answers 200 again within seconds of space returning", TimeSpan.FromSeconds(10));
        using var accepted = await host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", Padded(project, 3)));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await Eventually.HoldsAsync(() => reconciler.Calls.Any(c => c.MergeRequest.ProjectId == project && c.MergeRequest.Iid == 3),
            "the worker processes the delivery accepted after recovery", TimeSpan.FromSeconds(15));
    }

    // Bodies that need new pages (overflow pages), so a capped file cannot take them.
    private static byte[] Padded(long project, long iid, long padding = 64 * 1024)
    {
        var payload = Payloads.MergeRequest(project, iid);
        return [.. payload, .. Enumerable.Repeat((byte)' ', (int)padding)];
    }

    private static (long Pages, long Free) PageCounts(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA page_count;";
        var pages = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        command.CommandText = "PRAGMA freelist_count;";
        return (pages, Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture));
    }
}
