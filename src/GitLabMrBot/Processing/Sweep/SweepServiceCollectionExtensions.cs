using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Processing.Sweep;

public static class SweepServiceCollectionExtensions
{
    /// <summary>The reconcile sweep (a hosted service), its validated <see cref="SweepOptions"/> and its state in the bot's store.</summary>
    public static IServiceCollection AddSweep(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SweepOptions>().Bind(configuration.GetSection(SweepOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SweepOptions>, SweepOptionsValidator>());
        // The installation record the first sweep writes, which the reconciler reads.
        services.TryAddSingleton<Reconciliation.ExistingMergeRequestState>();
        services.AddHostedService<ReconcileSweep>();
        return services;
    }
}
