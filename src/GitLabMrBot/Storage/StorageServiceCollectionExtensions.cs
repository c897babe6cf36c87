using GitLabMrBot.Configuration;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage.Postgres;
using GitLabMrBot.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GitLabMrBot.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// The bot's durable store, and the one place that picks its provider (<see cref="BotSettings.DatabaseIsPostgres"/>):
    /// <see cref="IInboxStore"/>, <see cref="IBotStateStore"/> and <see cref="ISweepState"/> are views on one
    /// <see cref="SqliteDatabase"/> or <see cref="PostgresDatabase"/> on <see cref="BotSettings.Database"/>.
    /// Safe to call more than once; a store registered earlier (a test's replacement) is kept.
    /// </summary>
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<InboxSignal>();
        // Only the provider in use is ever resolved (and so opened).
        services.TryAddSingleton(s => new SqliteDatabase(
            s.GetRequiredService<BotSettings>().Database,
            s.GetRequiredService<TimeProvider>(),
            s.GetRequiredService<InboxSignal>(),
            s.GetRequiredService<ILogger<SqliteDatabase>>()));
        services.TryAddSingleton(s => new PostgresDatabase(s.GetRequiredService<BotSettings>().Database));

        services.TryAddSingleton<IInboxStore>(s => UsesPostgres(s)
            ? new PostgresInboxStore(
                s.GetRequiredService<PostgresDatabase>(),
                s.GetRequiredService<TimeProvider>(),
                s.GetRequiredService<InboxSignal>(),
                s.GetRequiredService<ILogger<PostgresInboxStore>>())
            : new SqliteInboxStore(s.GetRequiredService<SqliteDatabase>(), s.GetRequiredService<ILogger<SqliteInboxStore>>()));
        services.TryAddSingleton<IBotStateStore>(s => UsesPostgres(s)
            ? new PostgresBotStateStore(s.GetRequiredService<PostgresDatabase>(), s.GetRequiredService<TimeProvider>())
            : new SqliteBotStateStore(s.GetRequiredService<SqliteDatabase>()));
        services.TryAddSingleton<ISweepState>(s => UsesPostgres(s)
            ? new PostgresSweepState(s.GetRequiredService<PostgresDatabase>())
            : new SqliteSweepState(s.GetRequiredService<SqliteDatabase>()));
        services.TryAddSingleton<IDecisionLog>(s => UsesPostgres(s)
            ? new PostgresDecisionLog(s.GetRequiredService<PostgresDatabase>())
            : new SqliteDecisionLog(s.GetRequiredService<SqliteDatabase>()));
        // The inbox's operator side: the store itself, or (when a test replaced the store) a view on the same database.
        services.TryAddSingleton<IInboxAdmin>(s => s.GetRequiredService<IInboxStore>() as IInboxAdmin ?? (UsesPostgres(s)
            ? new PostgresInboxStore(s.GetRequiredService<PostgresDatabase>(), s.GetRequiredService<TimeProvider>())
            : new SqliteInboxStore(s.GetRequiredService<SqliteDatabase>())));
        return services;
    }

    private static bool UsesPostgres(IServiceProvider services) => services.GetRequiredService<BotSettings>().DatabaseIsPostgres;
}
