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

        // Full: the file may not grow by one page more.
        database.MaxPageCount = PageCount(host.DatabasePath);
        using var refused = await host.Client.SendAsync(BotHost.WebhookRequest("Merge Request Hook", Padded(project, 2)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        await Eventually.HoldsAsync(async () =>
        {
            using var ready = await host.Client.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.ServiceUnavailable
                && (await ready.Content.ReadAsStringAsync()).Contains("full", StringComparison.OrdinalIgnoreCase);
        }, "/readyz answers 503 naming the full store", TimeSpan.FromSeconds(10));

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
    private static byte[] Padded(long project, long iid)
    {
        var payload = Payloads.MergeRequest(project, iid);
        return [.. payload, .. Enumerable.Repeat((byte)' ', 64 * 1024)];
    }

    private static long PageCount(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA page_count;";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
