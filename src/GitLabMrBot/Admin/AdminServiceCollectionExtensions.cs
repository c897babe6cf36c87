using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GitLabMrBot.Admin;

public static class AdminServiceCollectionExtensions
{
    /// <summary>The operator's token (<see cref="AdminToken"/>); the routes are <see cref="AdminModule"/>'s and <see cref="Status.StatusModule"/>'s.</summary>
    public static IServiceCollection AddAdmin(this IServiceCollection services)
    {
        services.TryAddSingleton<AdminToken>();
        // The status page (Status/StatusModule): Razor components rendered statically, its forms protected by antiforgery.
        services.AddRazorComponents();
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "mrbot_antiforgery";
            options.Cookie.Path = Status.StatusModule.Prefix;
        });
        services.TryAddTransient<Status.StatusReader>();
        return services;
    }
}
