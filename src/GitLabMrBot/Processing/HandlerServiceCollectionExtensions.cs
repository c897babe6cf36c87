using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Inbox;
using GitLabMrBot.Processing.Reconciliation;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GitLabMrBot.Processing;

public static class HandlerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the typed event processor as the inbox's <see cref="IDeliveryProcessor"/>, one handler per event type,
    /// and a logging <see cref="IMergeRequestReconciler"/> that the policy engine replaces (registered with TryAdd).
    /// The push and note handlers read GitLab (<see cref="IGitLabDirectory"/>, from <c>AddGitLab</c>) and queue MR work
    /// in the inbox (<see cref="ReconcileQueue"/>).
    /// </summary>
    public static IServiceCollection AddHandlers(this IServiceCollection services)
    {
        // This processor is the processing step; it replaces any placeholder the inbox registered.
        services.RemoveAll<IDeliveryProcessor>();
        services.AddScoped<IDeliveryProcessor, WebhookEventProcessor>();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ReconcileQueue>();
        services.AddMemoryCache();
        services.TryAddSingleton<BranchHeads>();
        services.TryAddScoped<PlanExecutor>();
        services.TryAddSingleton<PeopleLimits>();
        services.TryAddScoped<IWebhookEventHandler<MergeRequestEvent>, MergeRequestEventHandler>();
        services.TryAddScoped<IWebhookEventHandler<PushEvent>, PushEventHandler>();
        services.TryAddScoped<IWebhookEventHandler<NoteEvent>, NoteEventHandler>();
        services.TryAddSingleton<IMergeRequestReconciler, LoggingMergeRequestReconciler>();
        return services;
    }
}
