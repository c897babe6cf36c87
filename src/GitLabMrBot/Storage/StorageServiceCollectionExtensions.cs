using GitLabMrBot.Configuration;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage.Postgres;
using GitLabMrBot.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GitLabMrBot.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// The bot's durable store, the one place that picks the provider (<see cref="BotSettings.DatabaseIsPostgres"/>):
    /// <see cref="IInboxStore"/>, <see cref="IBotStateStore"/> and <see cref="ISweepState"/>, all on the database named
    /// by <see cref="BotSettings.Database"/>. Safe to call more than once; a store registered earlier is kept.
    /// </summary>
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<InboxSignal>();
        // Resolved only for the provider in use: the stores of one provider are views on its one database.
        services.TryAddSingleton(CreateSqliteDatabase);
        services.TryAddSingleton<IInboxStore>(CreateInbox);
        services.TryAddSingleton<IBotStateStore>(CreateState);
        services.TryAddSingleton<ISweepState>(CreateSweepState);
        return services;
    }

    private static SqliteDatabase CreateSqliteDatabase(IServiceProvider services) =>
        new(services.GetRequiredService<BotSettings>().Database,
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<InboxSignal>(),
            services.GetRequiredService<ILogger<SqliteDatabase>>());

    private static IInboxStore CreateInbox(IServiceProvider services)
    {
        var settings = services.GetRequiredService<BotSettings>();
        if (settings.DatabaseIsPostgres)
        {
            return new PostgresInboxStore(
                settings.Database,
                services.GetRequiredService<TimeProvider>(),
                services.GetRequiredService<InboxSignal>(),
                services.GetRequiredService<ILogger<PostgresInboxStore>>());
        }
        return new SqliteInboxStore(services.GetRequiredService<SqliteDatabase>(), services.GetRequiredService<ILogger<SqliteInboxStore>>());
    }

    private static IBotStateStore CreateState(IServiceProvider services)
    {
        var settings = services.GetRequiredService<BotSettings>();
        if (settings.DatabaseIsPostgres)
        {
            return new PostgresBotStateStore(settings.Database, services.GetRequiredService<TimeProvider>());
        }
        return new SqliteBotStateStore(services.GetRequiredService<SqliteDatabase>());
    }

    private static ISweepState CreateSweepState(IServiceProvider services)
    {
        var settings = services.GetRequiredService<BotSettings>();
        if (settings.DatabaseIsPostgres)
        {
            return new PostgresSweepState(settings.Database);
        }
        return new SqliteSweepState(services.GetRequiredService<SqliteDatabase>());
    }
}
