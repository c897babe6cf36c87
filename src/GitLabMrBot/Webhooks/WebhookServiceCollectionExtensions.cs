using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Webhooks;

public static class WebhookServiceCollectionExtensions
{
    /// <summary>
    /// Registers what <c>POST /webhooks/gitlab</c> needs besides the inbox store (see <c>AddInbox</c>), and the intake's
    /// limits (<see cref="IntakeOptions"/>): Kestrel's connection and timeout limits, and the budget of bodies in flight.
    /// </summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WebhookAuthenticator>();
        services.AddOptions<IntakeOptions>().Bind(configuration.GetSection(IntakeOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IntakeOptions>, IntakeOptionsValidator>());
        services.TryAddSingleton(s => new WebhookBodyBudget(s.GetRequiredService<IOptions<IntakeOptions>>().Value.MaxBodyBytesInFlight));
        // Registered after the host's own Kestrel setup, so these settings win over Kestrel's defaults (130 s keep-alive, no cap).
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<IntakeOptions>>((kestrel, intake) =>
        {
            var limits = intake.Value;
            kestrel.Limits.MaxConcurrentConnections = limits.MaxConnections;
            // Before the first request too: a connection that sends nothing is closed after this.
            kestrel.Limits.KeepAliveTimeout = limits.IdleTimeout;
            kestrel.Limits.RequestHeadersTimeout = limits.RequestHeadersTimeout;
            kestrel.Limits.MinRequestBodyDataRate = limits.MinBodyBytesPerSecond > 0
                ? new MinDataRate(limits.MinBodyBytesPerSecond, TimeSpan.FromSeconds(5))
                : null;
        });
        return services;
    }
}
