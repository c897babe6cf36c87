using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GitLabMrBot.Webhooks;

public static class WebhookServiceCollectionExtensions
{
    /// <summary>Registers what <c>POST /webhooks/gitlab</c> needs besides the inbox store (see <c>AddInbox</c>).</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WebhookAuthenticator>();
        return services;
    }
}
