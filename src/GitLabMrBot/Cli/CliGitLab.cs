using System.CommandLine;
using GitLabMrBot.Configuration;
using GitLabMrBot.GitLab;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GitLabMrBot.Cli;

/// <summary>Exit codes of install, uninstall and doctor (the same numbers as <see cref="CommandLine"/>'s).</summary>
public static class CliExit
{
    public const int Ok = 0;

    /// <summary>The task ran and something failed (a GitLab error, a failed doctor check).</summary>
    public const int Failed = CommandLine.Invalid;

    /// <summary>The command line or the settings are wrong: nothing was attempted.</summary>
    public const int Usage = CommandLine.UsageError;
}

/// <summary>What the GitLab verbs share: their settings and the bot's own GitLab client.</summary>
internal static class CliGitLab
{
    /// <summary>The public URL of the bot (for doctor's webhook check), like <c>--url</c>.</summary>
    public const string PublicUrlKey = "MRBOT_PUBLIC_URL";

    /// <summary>The group the bot is installed on (for doctor's webhook check), like <c>--group</c>.</summary>
    public const string GroupKey = "MRBOT_GROUP";

    /// <summary>The PEM file of the CA behind GitLab's certificate (<see cref="GitLabClientOptions.CaBundle"/>).</summary>
    public const string CaBundleKey = $"{GitLabClientOptions.Section}:{nameof(GitLabClientOptions.CaBundle)}";

    /// <summary><see cref="CaBundleKey"/> as an environment variable.</summary>
    public const string CaBundleEnvironmentVariable = $"{GitLabClientOptions.Section}__{nameof(GitLabClientOptions.CaBundle)}";

    /// <summary>How the token is sent (<see cref="GitLabClientOptions.TokenType"/>).</summary>
    public const string TokenTypeKey = $"{GitLabClientOptions.Section}:{nameof(GitLabClientOptions.TokenType)}";

    /// <summary><c>--group</c>: the group of install, uninstall and doctor.</summary>
    public static Option<string> GroupOption(bool required) =>
        new("--group") { Description = "The group's full path (acme/platform) or id", Required = required };

    /// <summary><c>--url</c>: the bot's public base URL; the webhook is that URL plus /webhooks/gitlab.</summary>
    public static Option<string> PublicUrlOption(bool required) =>
        new("--url") { Description = "The bot's public base URL, as GitLab reaches it; the webhook is it plus /webhooks/gitlab", Required = required };

    /// <summary><c>--dry-run</c>: say what would change, write nothing.</summary>
    public static Option<bool> DryRunOption() => new("--dry-run") { Description = "Say what would change; write nothing" };

    /// <summary>
    /// GITLAB_URL (or gitlab.url in the config file) and GITLAB_TOKEN, with the rules <c>serve</c> applies.
    /// The webhook secret is <c>serve</c>'s business only: the shared loader demands it, so it gets a stand-in
    /// here (and a blank signing token), and the result carries neither.
    /// </summary>
    public static bool TryLoadSettings(IConfiguration configuration, out BotSettings settings, out IReadOnlyList<string> problems)
    {
        var gitLabOnly = new ConfigurationBuilder()
            .AddConfiguration(configuration)
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                [BotSettings.WebhookSecretKey] = "not-used-by-the-command-line",
                [BotSettings.SigningTokenKey] = "",
            })
            .Build();
        if (!BotSettings.TryLoad(gitLabOnly, out var loaded, out problems))
        {
            settings = null!;
            return false;
        }
        settings = new BotSettings
        {
            GitLabUrl = loaded!.GitLabUrl,
            GitLabToken = loaded.GitLabToken,
            WebhookSecrets = [],
            ConfigPath = loaded.ConfigPath,
            Database = loaded.Database,
        };
        return true;
    }

    /// <summary>Loads the settings or explains, naming every missing one; false means exit with <see cref="CliExit.Usage"/>.</summary>
    public static bool TryLoadSettings(string verb, IConfiguration configuration, TextWriter output, out BotSettings settings)
    {
        if (TryLoadSettings(configuration, out settings, out var problems))
        {
            return true;
        }
        output.WriteLine($"{verb} needs these settings (environment variables):");
        foreach (var problem in problems)
        {
            output.WriteLine($"  - {problem}");
        }
        return false;
    }

    /// <summary>The bot's GitLab client (same resilience pipeline and options as <c>serve</c>), without a host.</summary>
    public static ServiceProvider CreateServices(BotSettings settings, IConfiguration configuration, TimeProvider time)
    {
        var services = new ServiceCollection();
        // No log providers: the verbs report on their output, and a log line could only duplicate it.
        services.AddLogging();
        services.TryAddSingleton(time);
        services.AddSingleton(settings);
        services.AddGitLab(configuration);
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// The client from <see cref="CreateServices"/>, or a message when its options (configuration section
    /// <c>GitLab</c>) are invalid; false means exit with <see cref="CliExit.Usage"/>.
    /// </summary>
    public static bool TryGetClient(IServiceProvider services, string verb, TextWriter output, out IHookAdmin client)
    {
        try
        {
            client = services.GetRequiredService<IHookAdmin>();
            _ = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<GitLabClientOptions>>().Value;
            return true;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException e)
        {
            output.WriteLine($"{verb}: the GitLab client settings are invalid: {string.Join("; ", e.Failures)}");
            client = null!;
            return false;
        }
    }

    /// <summary>
    /// The frame of a verb that talks to GitLab: settings, the client (with its resilience pipeline), and one
    /// clear line for a GitLab error. Returns <paramref name="work"/>'s exit code, or the usage/failure code.
    /// </summary>
    public static async Task<int> RunWithClientAsync(string verb, IConfiguration configuration, TextWriter output, Func<IHookAdmin, Task<int>> work)
    {
        if (!TryLoadSettings(verb, configuration, output, out var settings))
        {
            return CliExit.Usage;
        }

        await using var services = CreateServices(settings, configuration, TimeProvider.System);
        if (!TryGetClient(services, verb, output, out var gitlab))
        {
            return CliExit.Usage;
        }
        try
        {
            return await work(gitlab);
        }
        catch (GitLabApiException e)
        {
            output.WriteLine($"✗ {Describe(e)}");
            return CliExit.Failed;
        }
    }

    /// <summary>A short reason an admin can act on, for a failed GitLab call.</summary>
    public static string Describe(GitLabApiException e) => e.StatusCode switch
    {
        System.Net.HttpStatusCode.Unauthorized => $"{e.Message} (the token was refused: check GITLAB_TOKEN)",
        System.Net.HttpStatusCode.Forbidden => $"{e.Message} (the bot user needs the Maintainer role on projects, Owner on the group, and a token with the api scope)",
        null when GitLabCertificateTrust.IsCertificateFailure(e) => $"{e.Message} (GitLab's HTTPS certificate was refused: behind an internal CA, set {CaBundleEnvironmentVariable} to a PEM file with that CA's certificate; `doctor` says more)",
        null => $"{e.Message} (GitLab did not answer: check GITLAB_URL, and DNS, proxy and firewall between this machine and GitLab; `doctor` checks the whole setup)",
        _ => e.Message,
    };
}
