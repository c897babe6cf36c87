using GitLabMrBot.GitLab;
using GitLabMrBot.Handlers;
using GitLabMrBot.Reconciliation.State;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Reconciliation;

public static class ReconciliationServiceCollectionExtensions
{
    /// <summary>The real reconciler (read → decide → act) in place of the logging one, and its mergeability re-checks.</summary>
    public static IServiceCollection AddReconciliation(this IServiceCollection services)
    {
        services.AddMemoryCache(o => o.SizeLimit = 10_000);
        services.TryAddScoped<MergeRequestSnapshotReader>();
        services.TryAddScoped<PlanExecutor>();
        services.AddOptions<RecheckOptions>().BindConfiguration(RecheckOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RecheckOptions>, RecheckOptionsValidator>());
        services.TryAddScoped<MergeabilityRechecks>();
        services.TryAddScoped<PeopleDirectory>();
        services.TryAddScoped<CodeOwnersSource>();
        services.TryAddScoped<PeoplePlanner>();
        services.TryAddSingleton<IBotStateStore>(CreateStateStore);
        services.Replace(ServiceDescriptor.Scoped<IMergeRequestReconciler, MergeRequestReconciler>());
        return services;
    }

    private static IBotStateStore CreateStateStore(IServiceProvider services)
    {
        var settings = services.GetRequiredService<BotSettings>();
        if (settings.DatabaseIsPostgres)
        {
            // The seam for the PostgreSQL provider, beside the inbox's: the same three statements on a bot_state table.
            throw new NotSupportedException(
                $"{BotSettings.DatabaseKey} is a PostgreSQL connection string, but this build only has the SQLite state store: set {BotSettings.DatabaseKey} to a file path (default mrbot.db).");
        }
        return new SqliteBotStateStore(settings.Database, services.GetRequiredService<TimeProvider>());
    }
}
