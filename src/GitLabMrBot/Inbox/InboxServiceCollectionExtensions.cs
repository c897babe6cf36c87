using GitLabMrBot.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Inbox;

public static class InboxServiceCollectionExtensions
{
    /// <summary>
    /// The durable inbox (<see cref="IInboxStore"/>, registered with the bot's other stores by
    /// <see cref="StorageServiceCollectionExtensions.AddStorage"/>), its worker, and validated <see cref="InboxOptions"/>.
    /// A real <see cref="IDeliveryProcessor"/> registered before or after this replaces the logging fallback.
    /// </summary>
    public static IServiceCollection AddInbox(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<InboxOptions>().Bind(configuration.GetSection(InboxOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InboxOptions>, InboxOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<InboxSignal>();
        // Every store of the bot, not only the inbox: the provider is chosen once, for all of them.
        services.AddStorage();
        services.TryAddScoped<IDeliveryProcessor, LoggingDeliveryProcessor>();
        services.TryAddScoped<SetAsideDeliveries>();
        services.AddHostedService<InboxWorker>();
        return services;
    }
}
