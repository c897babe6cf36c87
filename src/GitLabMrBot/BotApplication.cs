using Carter;
using GitLabMrBot.Cli;
using GitLabMrBot.Configuration;
using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Health;
using GitLabMrBot.Inbox;
using GitLabMrBot.Policies;
using GitLabMrBot.Processing;
using GitLabMrBot.Processing.Reconciliation;
using GitLabMrBot.Processing.Sweep;
using GitLabMrBot.Storage;
using GitLabMrBot.Storage.Postgres;
using GitLabMrBot.Storage.Sqlite;
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
        // The content root is the build output, where appsettings.json is, wherever the bot is started from
        // (`dotnet run` from the repository root runs it there, to find ./bot.config.json).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = CommandLine.HostArguments(args),
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddCommandLine(CommandLine.HostArguments(args), CommandLine.SwitchMappings);

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
        builder.Services.AddCarter(configurator: c => c.WithModule<WebhookModule>().WithModule<HealthModule>());
        return builder;
    }

    public static WebApplication MapBot(this WebApplication app)
    {
        app.MapCarter();
        return app;
    }

    /// <summary>The configuration the host would see, for checks that run before it is built.</summary>
    public static IConfiguration ReadConfiguration(string[] args) =>
        new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddCommandLine(CommandLine.HostArguments(args), CommandLine.SwitchMappings)
            .Build();
}
