using GitLabMrBot.GitLab;
using GitLabMrBot.Handlers;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GitLabMrBot.Reconciliation;

public static class ReconciliationServiceCollectionExtensions
{
    /// <summary>The real reconciler (read → decide → act) in place of the logging one.</summary>
    public static IServiceCollection AddReconciliation(this IServiceCollection services)
    {
        services.AddMemoryCache(o => o.SizeLimit = 10_000);
        services.TryAddScoped<MergeRequestSnapshotReader>();
        services.TryAddScoped<PlanExecutor>();
        services.Replace(ServiceDescriptor.Scoped<IMergeRequestReconciler, MergeRequestReconciler>());
        return services;
    }
}
