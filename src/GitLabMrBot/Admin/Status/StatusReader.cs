using System.Reflection;
using GitLabMrBot.Configuration;
using GitLabMrBot.GitLab;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;

namespace GitLabMrBot.Admin.Status;

/// <summary>
/// Gathers what the status page shows, from where it already lives: the store (backlog, dead letters, the decision log),
/// the last GitLab answers (<see cref="GitLabReachability"/>, <see cref="GitLabHeadroom"/>) and the config in force.
/// </summary>
public sealed class StatusReader(
    IInboxStore store,
    IInboxAdmin inbox,
    IDecisionLog decisions,
    GitLabReachability reachability,
    GitLabHeadroom headroom,
    PolicyConfigProvider config,
    BotSettings settings,
    TimeProvider time)
{
    /// <summary>Recent evaluations shown.</summary>
    public const int RecentEvaluations = 50;

    /// <summary>Dead letters listed (newest first); the count says how many more there are.</summary>
    public const int DeadLettersShown = 100;

    private static readonly string BotVersion =
        typeof(StatusReader).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public async Task<StatusView> ReadAsync(CancellationToken cancellationToken)
    {
        // The page is what operators open when something is wrong: it reports a store that cannot answer instead of failing.
        InboxAdminBacklog? backlog = null;
        var processing = 0;
        IReadOnlyList<StoredDelivery> dead = [];
        IReadOnlyList<DecisionRecord> recent = [];
        string? storeProblem = null;
        try
        {
            backlog = await inbox.BacklogAsync(cancellationToken);
            processing = (await store.ListAsync(DeliveryStatus.Processing, cancellationToken)).Count;
            // The newest ones only, without their payloads: dead letters are kept for good and may be large.
            dead = await inbox.ListDeadAsync(DeadLettersShown, cancellationToken);
            recent = await decisions.ListRecentAsync(RecentEvaluations, cancellationToken);
        }
        catch (InboxUnavailableException e)
        {
            storeProblem = e.Message;
        }
        // A stale look at GitLab is refreshed in the background, as /readyz does: the page never waits for GitLab.
        reachability.RefreshIfStale();
        return new StatusView(
            time.GetUtcNow(),
            backlog,
            processing,
            dead,
            backlog is null ? dead.Count : (int)Math.Min(backlog.Dead, int.MaxValue),
            recent,
            storeProblem,
            reachability.Last,
            headroom.LastCall,
            headroom.RateLimit,
            settings.GitLabUrl,
            config.Version,
            config.Path,
            BotVersion,
            StoreDescription.Of(settings));
    }
}

/// <summary>Everything on the status page, read at one moment (<see cref="Now"/>).</summary>
public sealed record StatusView(
    DateTimeOffset Now,
    InboxAdminBacklog? Backlog,
    int Processing,
    IReadOnlyList<StoredDelivery> DeadLetters,
    int DeadLetterCount,
    IReadOnlyList<DecisionRecord> Recent,
    string? StoreProblem,
    GitLabReachabilityState? GitLab,
    GitLabLastCall? LastCall,
    GitLabRateLimitSeen? RateLimit,
    Uri GitLabUrl,
    ConfigVersion? Config,
    string ConfigPath,
    string BotVersion,
    string Store);
