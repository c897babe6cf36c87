using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using GitLabMrBot.Configuration;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.Inbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GitLabMrBot.FunctionalTests.Infrastructure;

/// <summary>
/// The real bot host (<see cref="BotApplication.CreateBuilder"/>, <see cref="BotApplication.MapBot"/>) on
/// 127.0.0.1 with a free port, a fresh SQLite file in a temp folder, and the settings of docs/contract.md §3.
/// Tests talk to it through real HTTP (<see cref="Client"/>). Every log line is kept in <see cref="Logs"/>.
/// </summary>
public sealed class BotHost : IAsyncDisposable
{
    /// <summary>Both are configured (<c>GITLAB_WEBHOOK_SECRET</c> is a rotation list): either is accepted.</summary>
    public const string Secret = "current-webhook-secret";
    public const string PreviousSecret = "previous-webhook-secret";

    /// <summary>A secret that was rotated out: configured nowhere, so refused.</summary>
    public const string RetiredSecret = "retired-webhook-secret";

    public const string GitLabToken = "glpat-functional-test-token";

    /// <summary>The Standard Webhooks key behind <see cref="SigningToken"/>.</summary>
    public static readonly byte[] SigningKey = [.. Enumerable.Range(1, 32).Select(i => (byte)(i * 7))];

    public static string SigningToken => "whsec_" + Convert.ToBase64String(SigningKey);

    private readonly TempDirectory _directory;

    private BotHost(WebApplication app, TempDirectory directory, Uri address, RecordingLoggerProvider logs, string databasePath)
    {
        App = app;
        _directory = directory;
        Address = address;
        Logs = logs;
        DatabasePath = databasePath;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public WebApplication App { get; }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public RecordingLoggerProvider Logs { get; }

    public string DatabasePath { get; }

    public IServiceProvider Services => App.Services;

    public IInboxStore Store => Services.GetRequiredService<IInboxStore>();

    /// <summary>
    /// Starts a host. <paramref name="settings"/> override or add configuration values (a null value removes one);
    /// <paramref name="configureServices"/> runs after the bot's own registrations, so it can replace services.
    /// <paramref name="configJson"/> is the policy file the host reads (<c>bot.config.json</c> in its temp folder).
    /// <paramref name="databasePath"/> reuses a store file (a restart of the bot); it is the caller's to delete.
    /// </summary>
    public static async Task<BotHost> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection, string>? configureServices = null,
        string configJson = "{}",
        string? databasePath = null)
    {
        var directory = new TempDirectory();
        databasePath ??= directory.File("mrbot.db");
        await File.WriteAllTextAsync(directory.File("bot.config.json"), configJson);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            [BotSettings.GitLabUrlKey] = "http://127.0.0.1:9",
            [BotSettings.GitLabTokenKey] = GitLabToken,
            [BotSettings.WebhookSecretKey] = $"{PreviousSecret},{Secret}",
            [BotSettings.SigningTokenKey] = SigningToken,
            [BotSettings.DatabaseKey] = databasePath,
            [BotSettings.ConfigPathKey] = directory.File("bot.config.json"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var builder = BotApplication.CreateBuilder(["--urls", "http://127.0.0.1:0"]);
        builder.Configuration.AddInMemoryCollection(values);
        var logs = new RecordingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        configureServices?.Invoke(builder.Services, databasePath);

        var app = builder.Build();
        app.MapBot();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            directory.Dispose();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BotHost(app, directory, new Uri(address), logs, databasePath);
    }

    /// <summary>A webhook request as GitLab sends it: JSON, the event header and, unless told otherwise, the current secret.</summary>
    public static HttpRequestMessage WebhookRequest(string? eventHeader, byte[] body, string? token = Secret, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/gitlab") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.UserAgent.ParseAdd("GitLab/18.0.0");
        if (eventHeader is not null)
        {
            request.Headers.Add("X-Gitlab-Event", eventHeader);
        }
        if (token is not null)
        {
            request.Headers.Add("X-Gitlab-Token", token);
        }
        request.Headers.Add("Idempotency-Key", idempotencyKey ?? Guid.NewGuid().ToString());
        request.Headers.Add("X-Gitlab-Event-UUID", Guid.NewGuid().ToString());
        return request;
    }

    /// <summary>Adds Standard Webhooks headers signed with <paramref name="key"/> (computed here, independently of the bot).</summary>
    public static void Sign(HttpRequestMessage request, byte[] body, DateTimeOffset at, byte[]? key = null)
    {
        var id = "msg_" + Guid.NewGuid().ToString("N");
        var timestamp = at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(body).ToArray();
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp);
        request.Headers.Add("webhook-signature", "v1," + Convert.ToBase64String(HMACSHA256.HashData(key ?? SigningKey, signed)));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        try
        {
            await App.StopAsync();
        }
        finally
        {
            await App.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            _directory.Dispose();
        }
    }
}

/// <summary>A <see cref="BotHost"/> shared by the tests of one class (<c>IClassFixture&lt;BotApplicationFixture&gt;</c>).</summary>
public sealed class BotApplicationFixture : IAsyncLifetime
{
    private BotHost? _host;

    public BotHost Host => _host ?? throw new InvalidOperationException("The host has not started.");

    public async Task InitializeAsync() => _host = await BotHost.StartAsync(Settings, ConfigureServices);

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    /// <summary>Small enough that the 413 tests send little; large enough for every real payload.</summary>
    public const long MaxBodyBytes = 64 * 1024;

    public RecordingReconciler Reconciler { get; } = new();

    private static Dictionary<string, string?> Settings => new() { ["Inbox:MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private void ConfigureServices(IServiceCollection services, string databasePath) =>
        services.AddSingleton<Processing.Reconciliation.IMergeRequestReconciler>(Reconciler);
}
