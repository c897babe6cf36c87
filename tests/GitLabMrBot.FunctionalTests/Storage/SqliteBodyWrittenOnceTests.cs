using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage.Sqlite;

namespace GitLabMrBot.FunctionalTests.Storage;

/// <summary>
/// Issue 12, item 1 (defect 2, "each accepted body is written about three times"): on SQLite a body reaches the WAL once,
/// when it is appended; the claim and the completion that follow change small columns only and must not copy it again.
/// The WAL is the measure: every byte SQLite writes goes there first (the checkpoint's copy into the file is inherent).
/// </summary>
public sealed class SqliteBodyWrittenOnceTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Defect2_a_body_is_written_once_claims_and_completions_do_not_copy_it_again()
    {
        const int size = 1024 * 1024;
        var path = _directory.File("inbox.db");
        await using (var store = new SqliteInboxStore(path, TimeProvider.System))
        {
            var body = new byte[size];
            "{\"object_kind\":\"merge_request\"}"u8.CopyTo(body);
            body.AsSpan(32).Fill((byte)' ');
            var before = WalBytes(path);
            await store.AppendAsync(new NewDelivery("k1", "Merge Request Hook", "mr:1:1", null, DateTimeOffset.UtcNow, body), CancellationToken.None);
            var appended = WalBytes(path) - before;

            var batch = await store.ClaimNextAsync("worker", TimeSpan.FromMinutes(1), CancellationToken.None);
            Assert.NotNull(batch);
            Assert.Equal(size, batch.Deliveries.Single().Body.Length);
            await store.CompleteAsync(batch, CancellationToken.None);
            var afterward = WalBytes(path) - before - appended;

            Assert.InRange(appended, size, size + (size / 10));
            // A few pages for the row, the indexes and the subject: nothing near the body's size.
            Assert.True(afterward < 64 * 1024, $"the claim and the completion wrote {afterward} bytes to the WAL after the {appended} of the append");
            Assert.Equal(size, (await store.ListAsync(DeliveryStatus.Done, CancellationToken.None)).Single().Body.Length);
        }
    }

    private static long WalBytes(string path) => File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0;
}
