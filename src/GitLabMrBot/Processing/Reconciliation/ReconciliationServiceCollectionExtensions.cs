using GitLabMrBot.GitLab;
using GitLabMrBot.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Processing.Reconciliation;

public static class ReconciliationServiceCollectionExtensions
{
    /// <summary>The real reconciler (read → decide → act) in place of the logging one, and its mergeability re-checks.</summary>
    public static IServiceCollection AddReconciliation(this IServiceCollection services)
    {
        services.AddMemoryCache(o => o.SizeLimit = 10_000);
        services.TryAddScoped<MergeRequestSnapshotReader>();
        services.TryAddScoped<PlanExecutor>();
        services.TryAddSingleton<PeopleLimits>();
        services.AddOptions<RecheckOptions>().BindConfiguration(RecheckOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RecheckOptions>, RecheckOptionsValidator>());
        services.TryAddScoped<MergeabilityRechecks>();
        services.TryAddScoped<PeopleDirectory>();
        services.TryAddSingleton<BranchHeads>();
        services.TryAddScoped<CodeOwnersSource>();
        services.TryAddSingleton<ProjectConfigMemory>();
        services.TryAddScoped<ProjectConfigs>();
        services.TryAddScoped<PeopleStore>();
        services.TryAddScoped<BotNotesStore>();
        services.TryAddSingleton<ExistingMergeRequestState>();
        services.TryAddScoped<PeopleReader>();
        services.TryAddScoped<ConfigPreviewer>();
        services.AddOptions<DecisionLogOptions>().BindConfiguration(DecisionLogOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DecisionLogOptions>, DecisionLogOptionsValidator>());
        services.TryAddSingleton<DecisionRecorder>();
        services.Replace(ServiceDescriptor.Scoped<IMergeRequestReconciler, MergeRequestReconciler>());
        return services;
    }
}
