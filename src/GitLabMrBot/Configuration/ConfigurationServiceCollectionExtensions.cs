using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GitLabMrBot.Configuration;

public static class ConfigurationServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="PolicyConfigProvider"/> for the file named by <c>MRBOT_CONFIG</c>
    /// (<c>--config</c>; default <c>bot.config.json</c>) and a hosted service that loads it at start-up:
    /// an invalid config stops the host with every error listed.
    /// </summary>
    public static IServiceCollection AddPolicies(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new PolicyConfigProvider(
            ConfigPath(configuration),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PolicyConfigProvider>>(),
            EvaluationBudgetSettings.Read(configuration)));
        services.AddHostedService<PolicyConfigStartup>();
        services.AddHealthChecks().AddCheck<PolicyConfigReadinessCheck>("config", tags: [Health.HealthEndpoints.ReadyTag]);
        return services;
    }

    /// <summary>The config file path the host uses.</summary>
    public static string ConfigPath(IConfiguration configuration) =>
        string.IsNullOrWhiteSpace(configuration[BotSettings.ConfigPathKey]) ? "bot.config.json" : configuration[BotSettings.ConfigPathKey]!.Trim();

    /// <summary>For <c>Program</c>: null when the config is valid, else every error, ready to print.</summary>
    public static string? DescribeConfigProblems(IConfiguration configuration)
    {
        var path = ConfigPath(configuration);
        var result = PolicyConfigLoader.LoadFile(path);
        return result.IsValid ? null : "GitLabMrBot cannot start: " + result.Describe(path);
    }
}

/// <summary>Loads the config before the host serves, and starts watching it.</summary>
internal sealed class PolicyConfigStartup(PolicyConfigProvider provider) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var result = provider.Start();
        return result.IsValid
            ? Task.CompletedTask
            : throw new InvalidOperationException("GitLabMrBot cannot start: " + result.Describe(provider.Path));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>/readyz answers 503 until a valid policy config is in force.</summary>
internal sealed class PolicyConfigReadinessCheck(PolicyConfigProvider provider) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(provider.IsLoaded ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("no valid policy config loaded"));
}
