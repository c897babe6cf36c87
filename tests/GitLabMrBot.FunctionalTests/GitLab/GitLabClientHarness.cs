using System.Collections.Concurrent;
using GitLabMrBot.Configuration;
using GitLabMrBot.GitLab;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GitLabMrBot.FunctionalTests.GitLab;

/// <summary>
/// A <see cref="MiniGitLab"/> plus the bot's real GitLab client (registered with <c>AddGitLab</c>) pointed at it,
/// with short retry delays and every log line captured.
/// </summary>
internal sealed class GitLabClientHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private GitLabClientHarness(MiniGitLab server, ServiceProvider services, CapturingLoggerProvider logs)
    {
        Server = server;
        _services = services;
        Logs = logs;
    }

    public MiniGitLab Server { get; }

    public CapturingLoggerProvider Logs { get; }

    public GitLabClient Client => _services.GetRequiredService<GitLabClient>();

    public static async Task<GitLabClientHarness> StartAsync(params (string Key, string Value)[] overrides)
    {
        var server = await MiniGitLab.StartAsync();
        var values = new Dictionary<string, string?>
        {
            [BotSettings.GitLabUrlKey] = server.BaseUrl.ToString(),
            [BotSettings.GitLabTokenKey] = MiniGitLab.Token,
            [BotSettings.WebhookSecretKey] = "webhook-secret",
            [BotSettings.ConfigPathKey] = Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}.json"),
            ["GitLab:RetryBaseDelay"] = "00:00:00.020",
            ["GitLab:MaxRetryDelay"] = "00:00:05",
            ["GitLab:AttemptTimeout"] = "00:00:20",
            ["GitLab:TotalTimeout"] = "00:01:00",
            ["GitLab:RequestsPerMinute"] = "60000",
            ["GitLab:RateLimitBurst"] = "1000",
        };
        foreach (var (key, value) in overrides)
        {
            values[key] = value;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddSingleton(TimeProvider.System);
        services.AddBotSettings(configuration);
        services.AddGitLab(configuration);
        return new GitLabClientHarness(server, services.BuildServiceProvider(validateScopes: true), logs);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Server.DisposeAsync();
    }
}

internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public IReadOnlyList<string> At(LogLevel level) => Entries.Where(e => e.Level == level).Select(e => e.Message).ToList();

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((logLevel, category, formatter(state, exception) + (exception is null ? "" : " " + exception)));
    }
}
