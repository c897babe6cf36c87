using GitLabMrBot.Configuration;
using GitLabMrBot.Events;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.GitLab;
using GitLabMrBot.TestGitLab;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using GitLabMergeRequest = GitLabMrBot.TestGitLab.GitLabMergeRequest;
using GitLabProject = GitLabMrBot.TestGitLab.GitLabProject;
using GitLabUser = GitLabMrBot.TestGitLab.GitLabUser;

namespace GitLabMrBot.FunctionalTests.GitLab;

/// <summary>
/// The test GitLab seeded with one project and one MR, plus the bot's real GitLab client (registered with
/// <c>AddGitLab</c>) pointed at it with the bot user's token, short retry delays and every log line captured.
/// The MR (!1 by alice, labelled <c>existing</c>) changes five files; the project also has the label <c>bug</c>.
/// </summary>
internal sealed class GitLabClientHarness : IAsyncDisposable
{
    public const int DiffCount = 5;

    private readonly ServiceProvider _services;

    private GitLabClientHarness(TestGitLabServer server, ServiceProvider services, RecordingLoggerProvider logs, Seed seed)
    {
        Server = server;
        _services = services;
        Logs = logs;
        (BotUser, Alice, Project, MergeRequest) = (seed.Bot, seed.Alice, seed.Project, seed.MergeRequest);
    }

    public TestGitLabServer Server { get; }

    public RecordingLoggerProvider Logs { get; }

    public GitLabClient Client => _services.GetRequiredService<GitLabClient>();

    /// <summary>The bot's user (a Developer of the project); the client sends its token.</summary>
    public GitLabUser BotUser { get; }

    public GitLabUser Alice { get; }

    public GitLabProject Project { get; }

    public GitLabMergeRequest MergeRequest { get; }

    public string Token => BotUser.Token;

    public MergeRequestRef Mr => new(Project.Id, MergeRequest.Iid);

    /// <summary>The MR's path as the test GitLab records it (relative to <c>/api/v4</c>).</summary>
    public string MrPath => $"/projects/{Project.Id}/merge_requests/{MergeRequest.Iid}";

    public string LabelsPath => $"/projects/{Project.Id}/labels";

    public static async Task<GitLabClientHarness> StartAsync(params (string Key, string Value)[] overrides)
    {
        var server = new TestGitLabServer();
        await server.StartAsync();
        var seed = Seed.Plant(server);
        var values = new Dictionary<string, string?>
        {
            [BotSettings.GitLabUrlKey] = server.BaseUrl.ToString(),
            [BotSettings.GitLabTokenKey] = seed.Bot.Token,
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
        var logs = new RecordingLoggerProvider(LogLevel.Trace);
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddSingleton(TimeProvider.System);
        services.AddBotSettings(configuration);
        services.AddGitLab(configuration);
        return new GitLabClientHarness(server, services.BuildServiceProvider(validateScopes: true), logs, seed);
    }

    /// <summary>Requests of <paramref name="method"/> on exactly <paramref name="path"/> (relative to <c>/api/v4</c>, no query), in order.</summary>
    public IReadOnlyList<RecordedRequest> RequestsTo(string method, string path) =>
        [.. Server.Requests.Where(r => r.Method == method && r.Path == path)];

    /// <summary>Log lines of <paramref name="level"/>.</summary>
    public IReadOnlyList<string> LogsAt(LogLevel level) => [.. Logs.Entries.Where(e => e.Level == level).Select(e => e.Message)];

    /// <summary>Every log line with its exception, as a sink would write it.</summary>
    public IEnumerable<string> LogText => Logs.Entries.Select(e => e.Exception is null ? e.Message : $"{e.Message} {e.Exception}");

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Server.DisposeAsync();
    }

    private sealed record Seed(GitLabUser Bot, GitLabUser Alice, GitLabProject Project, GitLabMergeRequest MergeRequest)
    {
        public static Seed Plant(TestGitLabServer server)
        {
            var bot = server.AddUser("mrbot", "MR Bot", bot: true);
            var alice = server.AddUser("alice", "Alice");
            var project = server.AddProject("acme/app");
            server.AddMember(project, bot, AccessLevel.Developer);
            server.AddMember(project, alice, AccessLevel.Developer);
            server.AddLabel(project, "existing");
            server.AddLabel(project, "bug");
            var mr = server.OpenMergeRequest(
                project, alice, "Add feature", "feature", description: "Body", labels: ["existing"],
                files: Enumerable.Range(1, DiffCount).ToDictionary(i => $"src/file{i}.cs", i => (string?)$"class File{i} {{}}\n"));
            return new Seed(bot, alice, project, mr);
        }
    }
}
