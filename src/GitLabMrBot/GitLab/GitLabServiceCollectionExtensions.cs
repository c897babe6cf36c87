using GitLabMrBot.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Refit;

namespace GitLabMrBot.GitLab;

public static class GitLabServiceCollectionExtensions
{
    /// <summary>
    /// Registers the GitLab REST client: <see cref="GitLabClient"/> (also as <see cref="IMergeRequestReader"/>,
    /// <see cref="IMergeRequestWriter"/>, <see cref="IGitLabDirectory"/>) over the Refit <see cref="IGitLabApi"/>
    /// at <c>{GITLAB_URL}/api/v4</c>, with one resilience pipeline and options validated on start.
    /// </summary>
    public static IServiceCollection AddGitLab(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GitLabClientOptions>().Bind(configuration.GetSection(GitLabClientOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GitLabClientOptions>, GitLabClientOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GitLabClientOptions>, GitLabClientOptionsCrossValidator>());

        services.AddOptions<GitLabCacheOptions>().Bind(configuration.GetSection(GitLabCacheOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GitLabCacheOptions>, GitLabCacheOptionsValidator>());

        services.AddOptions<GitLabCircuitOptions>().Bind(configuration.GetSection(GitLabCircuitOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GitLabCircuitOptions>, GitLabCircuitOptionsValidator>());
        // The breaker's state, which the inbox worker consults so an outage defers work instead of failing it.
        services.TryAddSingleton<GitLabOutage>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Inbox.IProcessingDeferral, GitLabOutage>(sp => sp.GetRequiredService<GitLabOutage>()));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<GitLabRateLimiter>();
        services.TryAddSingleton<GitLabIdentityCache>();
        services.TryAddSingleton<GitLabHeadroom>();
        services.TryAddSingleton<GitLabCertificateTrust>();
        services.TryAddSingleton<PeopleLimits>();
        services.TryAddTransient<GitLabHeadersHandler>();
        services.TryAddTransient<GitLabCallLoggingHandler>();
        services.TryAddTransient<GitLabTelemetryHandler>();
        services.TryAddTransient<GitLabRateLimitHeaderHandler>();

        var refitSettings = new RefitSettings(new SystemTextJsonContentSerializer(GitLabJsonContext.Default.Options));
        var http = services.AddRefitGeneratedClient<IGitLabApi>(refitSettings)
            .ConfigureHttpClient((provider, client) =>
            {
                client.BaseAddress = ApiBaseAddress(provider.GetRequiredService<BotSettings>().GitLabUrl);
                // The pipeline's timeouts govern; HttpClient's own 100 s would cut a call waiting on Retry-After.
                client.Timeout = Timeout.InfiniteTimeSpan;
            });
        // GitLab behind an internal CA: its certificate may also chain to GitLab:CaBundle.
        http.ConfigurePrimaryHttpMessageHandler((handler, provider) => provider.GetRequiredService<GitLabCertificateTrust>().Apply(handler));
        // Handlers in order, outermost first: headers once per call, then the pipeline, then one log line per attempt.
        http.AddHttpMessageHandler<GitLabTelemetryHandler>();
        http.AddHttpMessageHandler<GitLabHeadersHandler>();
        http.AddResilienceHandler(GitLabResilience.PipelineName, GitLabResilience.Configure);
        http.AddHttpMessageHandler<GitLabCallLoggingHandler>();
        http.AddHttpMessageHandler<GitLabRateLimitHeaderHandler>();

        // Transient like the typed HttpClient under it, so handler rotation (DNS changes) takes effect.
        services.TryAddTransient<GitLabClient>();
        services.TryAddTransient<IMergeRequestReader>(sp => sp.GetRequiredService<GitLabClient>());
        services.TryAddTransient<IMergeRequestWriter>(sp => sp.GetRequiredService<GitLabClient>());
        services.TryAddTransient<IGitLabDirectory>(sp => sp.GetRequiredService<GitLabClient>());
        services.TryAddTransient<IHookAdmin>(sp => sp.GetRequiredService<GitLabClient>());
        return services;
    }

    /// <summary><c>{GITLAB_URL}/api/v4</c>, keeping a path prefix such as <c>https://example.com/gitlab</c>.</summary>
    public static Uri ApiBaseAddress(Uri gitLabUrl) => new($"{gitLabUrl.GetLeftPart(UriPartial.Path).TrimEnd('/')}/api/v4");
}
