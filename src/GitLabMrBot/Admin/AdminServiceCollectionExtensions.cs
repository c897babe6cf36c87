using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GitLabMrBot.Admin;

public static class AdminServiceCollectionExtensions
{
    /// <summary>The operator's token (<see cref="AdminToken"/>); the routes are <see cref="AdminModule"/>'s.</summary>
    public static IServiceCollection AddAdmin(this IServiceCollection services)
    {
        services.TryAddSingleton<AdminToken>();
        return services;
    }
}
