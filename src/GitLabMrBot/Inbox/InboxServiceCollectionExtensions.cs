using GitLabMrBot.Configuration;
using GitLabMrBot.Storage;
using GitLabMrBot.Storage.Postgres;
using GitLabMrBot.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Inbox;

public static class InboxServiceCollectionExtensions
{
    /// <summary>
    /// The durable inbox (<see cref="IInboxStore"/> on the store named by <see cref="BotSettings.Database"/>),
    /// its worker, and validated <see cref="InboxOptions"/>. A real <see cref="IDeliveryProcessor"/> registered
    /// before or after this replaces the logging fallback.
    /// </summary>
    public static IServiceCollection AddInbox(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<InboxOptions>().Bind(configuration.GetSection(InboxOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InboxOptions>, InboxOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<InboxSignal>();
        services.TryAddSingleton<IInboxStore>(CreateStore);
        services.TryAddScoped<IDeliveryProcessor, LoggingDeliveryProcessor>();
        services.AddHostedService<InboxWorker>();
        return services;
    }

    private static IInboxStore CreateStore(IServiceProvider services)
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
        return new SqliteInboxStore(
            settings.Database,
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<InboxSignal>(),
            services.GetRequiredService<ILogger<SqliteInboxStore>>());
    }
}
