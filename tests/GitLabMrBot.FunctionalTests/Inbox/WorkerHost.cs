using System.Globalization;
using GitLabMrBot.Configuration;
using GitLabMrBot.Inbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GitLabMrBot.FunctionalTests.Inbox;

/// <summary>
/// A minimal host with the bot's real inbox registration (<c>AddInbox</c>: SQLite store on a file, worker,
/// signal, validated options) and a test <see cref="IDeliveryProcessor"/>.
/// </summary>
internal static class WorkerHost
{
    public static IHost Build(string databasePath, IDeliveryProcessor processor, Action<Dictionary<string, string?>>? inbox = null)
    {
        var settings = new Dictionary<string, string?>
        {
            [BotSettings.GitLabUrlKey] = "http://127.0.0.1:9", // never called; a closed loopback port if it were
            [BotSettings.GitLabTokenKey] = "test-token",
            [BotSettings.WebhookSecretKey] = "test-secret",
            [BotSettings.ConfigPathKey] = Path.Combine(Path.GetDirectoryName(databasePath)!, "no-bot.config.json"),
            [BotSettings.DatabaseKey] = databasePath,
            ["Inbox:Concurrency"] = "4",
            ["Inbox:Lease"] = "00:00:30",
            ["Inbox:RetryBaseDelay"] = "00:00:00.100",
            ["Inbox:PollInterval"] = "00:00:05",
        };
        inbox?.Invoke(settings);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLogging();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddBotSettings(builder.Configuration);
        builder.Services.AddInbox(builder.Configuration);
        builder.Services.AddSingleton(processor);
        return builder.Build();
    }

    public static string Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds).ToString("c", CultureInfo.InvariantCulture);
}

/// <summary>A processor whose behaviour each test writes as a delegate.</summary>
internal sealed class TestProcessor(Func<ClaimedBatch, CancellationToken, Task> process) : IDeliveryProcessor
{
    public Task ProcessAsync(ClaimedBatch batch, CancellationToken cancellationToken) => process(batch, cancellationToken);
}
