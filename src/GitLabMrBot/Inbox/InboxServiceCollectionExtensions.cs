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
            // The seam for the PostgreSQL provider: it must pass the same InboxStoreContract tests.
            throw new NotSupportedException(
                $"{BotSettings.DatabaseKey} is a PostgreSQL connection string, but this build only has the SQLite inbox: set {BotSettings.DatabaseKey} to a file path (default mrbot.db).");
        }
        return new SqliteInboxStore(
            settings.Database,
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<InboxSignal>(),
            services.GetRequiredService<ILogger<SqliteInboxStore>>());
    }
}
