using GitLabMrBot.Configuration;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;
using GitLabMrBot.Storage.Postgres;
using GitLabMrBot.Storage.Sqlite;

namespace GitLabMrBot.Cli;

/// <summary>
/// The bot's store as the operator verbs open it (<c>deliveries</c>, <c>explain</c>): the same file or database serve uses
/// (<c>MRBOT_DATABASE</c> or <c>--database</c>), read and changed directly, with or without the bot running (SQLite's WAL
/// and PostgreSQL both allow a second process). A SQLite file that does not exist is not created: it is a wrong path.
/// </summary>
internal sealed class CliStore : IAsyncDisposable
{
    private readonly IAsyncDisposable _database;

    private CliStore(IAsyncDisposable database, IInboxStore inbox, IDecisionLog decisions, IBotStateStore botState)
    {
        _database = database;
        BotState = botState;
        Inbox = inbox;
        Admin = (IInboxAdmin)inbox;
        Decisions = decisions;
    }

    public IInboxStore Inbox { get; }

    public IInboxAdmin Admin { get; }

    public IDecisionLog Decisions { get; }

    /// <summary>The bot's own state (installation record, stored reviewer decisions), which <c>plan</c> reads.</summary>
    public IBotStateStore BotState { get; }

    /// <summary>The store named by the settings; null (with the reason written to <paramref name="error"/>) when it cannot be opened.</summary>
    public static async Task<CliStore?> OpenAsync(IConfiguration settings, TextWriter error)
    {
        var database = settings[BotSettings.DatabaseKey] is { Length: > 0 } d ? d.Trim() : "mrbot.db";
        try
        {
            if (BotSettings.IsPostgres(database))
            {
                var postgres = new PostgresDatabase(database);
                return new CliStore(postgres, new PostgresInboxStore(postgres, TimeProvider.System), new PostgresDecisionLog(postgres), new PostgresBotStateStore(postgres, TimeProvider.System));
            }
            if (!File.Exists(database))
            {
                await error.WriteLineAsync($"No store at {Path.GetFullPath(database)}: set {BotSettings.DatabaseKey} (or --database) to the file the bot serves with.");
                return null;
            }
            var sqlite = new SqliteDatabase(database, TimeProvider.System);
            return new CliStore(sqlite, new SqliteInboxStore(sqlite), new SqliteDecisionLog(sqlite), new SqliteBotStateStore(sqlite));
        }
        catch (InboxUnavailableException e)
        {
            await error.WriteLineAsync(e.Message);
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Inbox is IAsyncDisposable inbox)
        {
            await inbox.DisposeAsync();
        }
        await _database.DisposeAsync();
    }
}
