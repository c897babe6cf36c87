using GitLabMrBot.Cli;
using GitLabMrBot.Configuration;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.TestGitLab;
using Microsoft.Extensions.Configuration;

namespace GitLabMrBot.FunctionalTests.Cli;

/// <summary>The output and exit code of one verb run in-process.</summary>
public sealed record CliRun(int ExitCode, string Output)
{
    public IReadOnlyList<string> Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The secret from the <c>export GITLAB_WEBHOOK_SECRET=…</c> line, if printed.</summary>
    public string? ExportedSecret =>
        Lines.Where(l => l.StartsWith("export GITLAB_WEBHOOK_SECRET=", StringComparison.Ordinal)).Select(l => l["export GITLAB_WEBHOOK_SECRET=".Length..]).SingleOrDefault();

    public override string ToString() => $"exit {ExitCode}:\n{Output}";
}

/// <summary>
/// A test GitLab on loopback with group <c>acme</c> whose Owner <c>ops</c> runs the verbs (its token is GITLAB_TOKEN),
/// settings in a fresh temp folder, and the verbs run in-process through the command line with their output captured.
/// </summary>
public sealed class CliHarness : IAsyncDisposable
{
    public const string PublicUrl = "https://mrbot.example.com";
    public const string HookUrl = PublicUrl + "/webhooks/gitlab";
    public const string ServeSecret = "the-secret-serve-uses";

    private readonly TempDirectory _directory = new();
    private readonly Dictionary<string, string?> _settings;

    private CliHarness(TestGitLabServer gitlab)
    {
        GitLab = gitlab;
        Operator = gitlab.AddUser("ops", "Ops Person");
        Group = gitlab.AddGroup("acme");
        gitlab.AddMember(Group, Operator, AccessLevel.Owner);
        ConfigPath = _directory.File("bot.config.json");
        File.WriteAllText(ConfigPath, """{ "labels": { "frontend": "#1f75cb" }, "policies": [] }""");
        _settings = new Dictionary<string, string?>
        {
            [BotSettings.GitLabUrlKey] = gitlab.BaseUrl.ToString(),
            [BotSettings.GitLabTokenKey] = Operator.Token,
            [BotSettings.WebhookSecretKey] = ServeSecret,
            [BotSettings.ConfigPathKey] = ConfigPath,
            [BotSettings.DatabaseKey] = _directory.File("mrbot.db"),
            ["GitLab:RetryBaseDelay"] = "00:00:00.020",
            ["GitLab:MaxRetryDelay"] = "00:00:01",
            ["GitLab:AttemptTimeout"] = "00:00:20",
            ["GitLab:TotalTimeout"] = "00:01:00",
            ["GitLab:RequestsPerMinute"] = "60000",
            ["GitLab:RateLimitBurst"] = "1000",
        };
    }

    public TestGitLabServer GitLab { get; }

    public GitLabUser Operator { get; }

    public GitLabGroup Group { get; }

    public string ConfigPath { get; }

    /// <summary>Starts <paramref name="gitlab"/> (default a plain one; e.g. one with a path base or a certificate) and seeds it.</summary>
    public static async Task<CliHarness> StartAsync(TestGitLabServer? gitlab = null)
    {
        gitlab ??= new TestGitLabServer();
        await gitlab.StartAsync();
        return new CliHarness(gitlab);
    }

    /// <summary>Changes a setting for the next runs (null removes it).</summary>
    public void Set(string key, string? value) => _settings[key] = value;

    public Task<CliRun> InstallAsync(params string[] args) => RunAsync(["install", .. args]);

    public Task<CliRun> UninstallAsync(params string[] args) => RunAsync(["uninstall", .. args]);

    public Task<CliRun> DoctorAsync(params string[] args) => RunAsync(["doctor", .. args]);

    public IReadOnlyList<HookView> HooksFor(string url = HookUrl) => [.. GitLab.GetHooks().Where(h => h.Url == url)];

    /// <summary>The whole command line, parsed as the program parses it; output and errors in one text, as a terminal shows them.</summary>
    private async Task<CliRun> RunAsync(string[] args)
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection(_settings).Build();
        using var output = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var exit = await CommandLine.RunAsync(args, output, output, () => settings, _ => throw new InvalidOperationException("a verb started the server"), timeout.Token);
        return new CliRun(exit, output.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await GitLab.DisposeAsync();
        _directory.Dispose();
    }
}
