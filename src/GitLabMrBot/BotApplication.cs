using Carter;
using GitLabMrBot.Admin;
using GitLabMrBot.Cli;
using GitLabMrBot.Configuration;
using GitLabMrBot.GitLab;
using GitLabMrBot.Health;
using GitLabMrBot.Inbox;
using GitLabMrBot.Observability;
using GitLabMrBot.Processing;
using GitLabMrBot.Processing.Reconciliation;
using GitLabMrBot.Processing.Sweep;
using GitLabMrBot.Webhooks;

namespace GitLabMrBot;

/// <summary>
/// Builds the bot's web host: one <c>AddXxx()</c> per feature area, in the order data flows
/// (webhooks in, inbox, worker). Tests use the same builder and replace single services.
/// </summary>
public static class BotApplication
{
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = CreateHostBuilder(args);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddBotSettings(builder.Configuration);
        builder.Services.AddPolicies(builder.Configuration);
        builder.Services.AddWebhooks(builder.Configuration);
        builder.Services.AddInbox(builder.Configuration);
        builder.Services.AddHandlers();
        builder.Services.AddGitLab(builder.Configuration);
        builder.Services.AddReconciliation();
        builder.Services.AddSweep(builder.Configuration);
        builder.Services.AddHealth();
        builder.Services.AddObservability(builder.Configuration);
        builder.Services.AddAdmin();
        // Carter's default catalog (and its one-assembly constructor) reads a dependency context, which a single-file app
        // does not have: Carter then fails with a NullReferenceException at start. Given an array of assemblies it reads
        // none; the modules are listed, so nothing is scanned (a test checks every ICarterModule of the bot is listed).
        builder.Services.AddCarter(
            new DependencyContextAssemblyCatalog(assemblies: [typeof(BotApplication).Assembly]),
            c => c.WithModule<WebhookModule>().WithModule<AdminModule>().WithModule<Admin.Status.StatusModule>().WithEmptyValidators().WithEmptyResponseNegotiators());
        return builder;
    }

    public static WebApplication MapBot(this WebApplication app)
    {
        app.MapCarter();
        app.MapHealth();
        app.MapObservability();
        return app;
    }

    /// <summary>
    /// Why the host must not start, ready to print: every missing or invalid setting, else every error of the policy
    /// config; null when it can start. Run on the host's own configuration, so every source the host reads counts
    /// (appsettings, user secrets in Development, environment, command line).
    /// </summary>
    public static string? DescribeStartupProblems(IConfiguration configuration) =>
        BotSettings.TryLoad(configuration, out _, out var problems)
            ? ConfigurationServiceCollectionExtensions.DescribeConfigProblems(configuration)
            : BotSettings.DescribeProblems(problems);

    /// <summary>The configuration the host would have (for the verbs that do not start it): the same sources, in the same order.</summary>
    public static IConfiguration ReadConfiguration() => CreateHostBuilder([]).Configuration;

    private static WebApplicationBuilder CreateHostBuilder(string[] args)
    {
        // The content root is the build output, where appsettings.json is, wherever the bot is started from
        // (`dotnet run` from the repository root runs it there, to find ./bot.config.json).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            // Names the assembly whose UserSecretsId is read in Development, whichever process hosts the bot.
            ApplicationName = typeof(BotApplication).Assembly.GetName().Name,
        });
        builder.Configuration.AddCommandLine(args, SettingOption.SwitchMappings);
        return builder;
    }
}
