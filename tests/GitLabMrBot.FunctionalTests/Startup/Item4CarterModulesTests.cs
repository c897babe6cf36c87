using Carter;
using Microsoft.Extensions.DependencyInjection;

namespace GitLabMrBot.FunctionalTests.Startup;

/// <summary>
/// Issue 15 item 4: a single-file build has no dependency context for Carter to scan, so the bot lists its modules
/// and gives Carter its own assembly. A module added to the bot but not to that list would never be mapped: every
/// <see cref="ICarterModule"/> of the bot's assembly must be registered, once. (The single-file build itself is
/// started by bench/publish/run.)
/// </summary>
public sealed class Item4CarterModulesTests
{
    [Fact]
    public void Item4_every_carter_module_of_the_bot_is_registered_once()
    {
        var declared = typeof(BotApplication).Assembly.GetTypes()
            .Where(t => typeof(ICarterModule).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => t.FullName!)
            .Order(StringComparer.Ordinal)
            .ToList();

        var builder = BotApplication.CreateBuilder([]);
        var registered = builder.Services
            .Where(d => d.ServiceType == typeof(ICarterModule))
            .Select(d => d.ImplementationType?.FullName ?? "(a factory or an instance)")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.NotEmpty(declared);
        Assert.Equal(declared, registered);
    }
}
