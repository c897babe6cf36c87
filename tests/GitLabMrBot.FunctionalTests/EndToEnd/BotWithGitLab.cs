using GitLabMrBot.Configuration;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.Inbox;
using GitLabMrBot.TestGitLab;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GitLabMrBot.FunctionalTests.EndToEnd;

/// <summary>
/// The bot host and the test GitLab, both on real loopback HTTP, wired as an administrator would:
/// the bot user is a Developer of the project, and a group hook points at the bot with the secret.
/// </summary>
public sealed class BotWithGitLab : IAsyncDisposable
{
    /// <summary>docs/contract.md §5's example policies (the root bot.config.json's labeling part).</summary>
    public const string DefaultConfig = """
        {
          "labels": { "frontend": "#1f75cb", "backend": "#6699cc", "docs": "#0e8a16" },
          "policies": [
            { "name": "frontend", "when": { "changedFiles": ["web/**", "**/*.css"] }, "then": { "addLabels": ["frontend"] } },
            { "name": "docs-only", "when": { "onlyChangedFiles": ["docs/**", "**/*.md"] }, "then": { "addLabels": ["docs"] } },
            { "name": "feature", "when": { "title": "^feat(\\(.+\\))?!?:" }, "then": { "addLabels": ["type::feature"] } },
            { "name": "hotfix", "when": { "sourceBranch": "hotfix/*", "targetBranch": "release/*" },
              "then": { "addLabels": ["hotfix"], "comment": "Hotfix into {{ mr.target_branch }}: cherry-pick it to main too." } }
          ],
          "sizeLabels": { "prefix": "size::", "thresholds": { "XS": 10, "S": 100, "M": 500, "L": 1000 }, "largest": "XL" },
          "summaryComment": true
        }
        """;

    private readonly TempDirectory _data;
    private readonly Dictionary<string, string?> _settings;
    private readonly string _config;
    private readonly GitLabGroup _group;
    private readonly HookEvents _hookEvents;
    private BotHost? _bot;
    private Action<IServiceCollection, string>? _configureServices;

    private BotWithGitLab(
        TestGitLabServer gitLab, TempDirectory data, Dictionary<string, string?> settings, string config, GitLabGroup group, HookEvents hookEvents,
        GitLabUser botUser, GitLabUser alice, GitLabUser guest, GitLabProject project)
    {
        GitLab = gitLab;
        _data = data;
        _settings = settings;
        _config = config;
        _group = group;
        _hookEvents = hookEvents;
        BotUser = botUser;
        Alice = alice;
        Guest = guest;
        Project = project;
    }

    public TestGitLabServer GitLab { get; }

    /// <summary>The running bot; between <see cref="StopBotAsync"/> and <see cref="StartBotAsync"/> there is none.</summary>
    public BotHost Bot => _bot ?? throw new InvalidOperationException("The bot is stopped.");
    public GitLabUser BotUser { get; }

    /// <summary>A Developer of the project.</summary>
    public GitLabUser Alice { get; }

    /// <summary>A Guest of the project.</summary>
    public GitLabUser Guest { get; }
    public GitLabProject Project { get; }
    public GitLabGroup Group => _group;

    /// <summary>The bot's store file, which outlives each bot host.</summary>
    public string DatabasePath => _data.File("mrbot.db");

    /// <summary>
    /// Starts GitLab and the bot. <paramref name="hookEvents"/> chooses what the group hook sends (default all).
    /// The bot's store is a file that outlives the bot, so <see cref="StopBotAsync"/>/<see cref="StartBotAsync"/> are a restart.
    /// <paramref name="gitLab"/> is a test GitLab not yet started (e.g. with a path base or a certificate); default a plain one.
    /// <paramref name="beforeBotStarts"/> seeds GitLab before the bot's first start.
    /// </summary>
    public static async Task<BotWithGitLab> StartAsync(
        string config = DefaultConfig, IReadOnlyDictionary<string, string?>? settings = null, HookEvents? hookEvents = null, TestGitLabServer? gitLab = null,
        Action<IServiceCollection, string>? configureServices = null, Action<BotWithGitLab>? beforeBotStarts = null)
    {
        gitLab ??= new TestGitLabServer();
        await gitLab.StartAsync();
        var botUser = gitLab.AddUser("mrbot", "MR Bot", bot: true);
        var alice = gitLab.AddUser("alice", "Alice");
        var guest = gitLab.AddUser("gary", "Gary Guest");
        var group = gitLab.AddGroup("acme");
        var project = gitLab.AddProject("acme/app", files: new Dictionary<string, string> { ["README.md"] = "# app\n" });
        gitLab.AddMember(project, botUser, AccessLevel.Developer);
        gitLab.AddMember(project, alice, AccessLevel.Developer);
        gitLab.AddMember(project, guest, AccessLevel.Guest);

        var values = new Dictionary<string, string?>
        {
            [BotSettings.GitLabUrlKey] = gitLab.BaseUrl.ToString(),
            [BotSettings.GitLabTokenKey] = botUser.Token,
            // Fast retries keep fault tests short; the behaviour is the same as with the defaults.
            ["GitLab:RetryBaseDelay"] = "00:00:00.050",
            ["Inbox:RetryBaseDelay"] = "00:00:00.100",
            ["Inbox:MaxRetryDelay"] = "00:00:01",
            ["Inbox:PollInterval"] = "00:00:00.200",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var env = new BotWithGitLab(gitLab, new TempDirectory(), values, config, group, hookEvents ?? HookEvents.All, botUser, alice, guest, project)
        {
            _configureServices = configureServices,
        };
        try
        {
            // What GitLab held before the bot was ever started (MRs older than the installation).
            beforeBotStarts?.Invoke(env);
            await env.StartBotAsync();
        }
        catch
        {
            await env.DisposeAsync();
            throw;
        }
        return env;
    }

    /// <summary>Starts a bot on the same store file, and points a group hook at it (GitLab keeps sending to the old address too, in vain).</summary>
    public async Task StartBotAsync()
    {
        if (_bot is not null)
        {
            throw new InvalidOperationException("The bot is already running.");
        }
        _bot = await BotHost.StartAsync(_settings, _configureServices, configJson: _config, databasePath: DatabasePath);
        GitLab.AddHook(_group, new Uri(_bot.Address, "webhooks/gitlab"), BotHost.Secret, _hookEvents);
    }

    /// <summary>Changes one of the bot's settings (null removes it) for the next <see cref="StartBotAsync"/>.</summary>
    public void SetSetting(string key, string? value) => _settings[key] = value;

    /// <summary>Stops the bot; what it stored stays in the store file for the next <see cref="StartBotAsync"/>.</summary>
    public async Task StopBotAsync()
    {
        var bot = Bot;
        _bot = null;
        await bot.DisposeAsync();
    }

    /// <summary>The writes the bot made to GitLab (seeding goes around HTTP, so every write here is the bot's).</summary>
    public IReadOnlyList<string> Writes => [.. GitLab.Writes.Select(w => w.Action)];

    public IReadOnlyList<string> BotNotes(GitLabMergeRequest mr) =>
        [.. GitLab.GetNotes(mr).Where(n => n.Author == BotUser.Username && !n.System).Select(n => n.Body)];

    /// <summary>
    /// Waits until GitLab has sent every webhook, the bot has processed every stored delivery, and neither
    /// produced anything new meanwhile: the point after which nothing else will happen on its own.
    /// </summary>
    public async Task WaitForQuietAsync()
    {
        var stableRounds = 0;
        var lastCount = -1;
        await Eventually.HoldsAsync(async () =>
        {
            await GitLab.WaitForDeliveriesAsync(TimeSpan.FromSeconds(60));
            var open = (await Bot.Store.ListAsync(null, CancellationToken.None))
                .Count(d => d.Status is DeliveryStatus.Pending or DeliveryStatus.Processing);
            var count = GitLab.Deliveries.Count + GitLab.Requests.Count;
            stableRounds = open == 0 && count == lastCount ? stableRounds + 1 : 0;
            lastCount = count;
            return stableRounds >= 3;
        }, "GitLab and the bot to go quiet", TimeSpan.FromSeconds(60));
    }

    /// <summary>No warning or error was logged by the bot (costellobot's habit: a silent failure is a failure).</summary>
    public IReadOnlyList<string> Problems(params string[] allowed) =>
        [.. Bot.Logs.Entries
            .Where(e => e.Level >= LogLevel.Warning && !allowed.Any(a => e.Message.Contains(a, StringComparison.Ordinal)))
            .Select(e => $"{e.Level} {e.Category}: {e.Message}")];

    public async ValueTask DisposeAsync()
    {
        if (_bot is not null)
        {
            await _bot.DisposeAsync();
        }
        await GitLab.DisposeAsync();
        _data.Dispose();
    }
}
