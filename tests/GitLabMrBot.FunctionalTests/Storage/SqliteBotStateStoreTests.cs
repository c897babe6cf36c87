using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;
using GitLabMrBot.Storage.Sqlite;

namespace GitLabMrBot.FunctionalTests.Storage;

/// <summary>The SQLite provider against the state store contract, in the inbox's file.</summary>
public sealed class SqliteBotStateStoreTests : BotStateStoreContract, IDisposable
{
    private readonly TempDirectory _directory = new();

    private string DatabasePath => _directory.File("mrbot.db");

    protected override IBotStateStore OpenStore() => new SqliteBotStateStore(DatabasePath, TimeProvider.System);

    protected override IInboxStore OpenInbox() => new SqliteInboxStore(DatabasePath, TimeProvider.System);

    // xunit disposes after DisposeAsync, so the stores are closed before their files go.
    public void Dispose() => _directory.Dispose();
}
