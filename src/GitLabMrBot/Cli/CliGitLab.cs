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

    /// <summary>
    /// How long the command line waits for a TCP (and TLS) connection to GitLab. A server's retries and 30 s attempts
    /// suit a bot that has all day; a person at a terminal must hear within seconds that nothing answers.
    /// </summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The bot's GitLab client (same resilience pipeline and options as <c>serve</c>), without a host; except that a
    /// connection GitLab never accepts is tried once more at most, after a quarter second, and a connection must be made
    /// within <see cref="ConnectTimeout"/>.
    /// </summary>
    public static ServiceProvider CreateServices(BotSettings settings, IConfiguration configuration, TimeProvider time)
    {
        var services = new ServiceCollection();
        // No log providers: the verbs report on their output, and a log line could only duplicate it.
        services.AddLogging();
        services.TryAddSingleton(time);
        services.AddSingleton(settings);
        AddCommandLineGitLab(services, configuration);
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// The bot's GitLab client for a verb at a terminal: the server's pipeline, except that a connection GitLab never
    /// accepts is tried once more at most, after a quarter second, and must be made within <see cref="ConnectTimeout"/>.
    /// </summary>
    public static void AddCommandLineGitLab(IServiceCollection services, IConfiguration configuration)
    {
        services.AddGitLab(configuration);
        services.PostConfigure<GitLabClientOptions>(o => o.ConnectFailureRetryAttempts = Math.Min(o.MaxRetryAttempts, 1));
        services.ConfigureHttpClientDefaults(http => http.ConfigurePrimaryHttpMessageHandler((handler, _) =>
        {
            if (handler is SocketsHttpHandler sockets)
            {
                sockets.ConnectTimeout = ConnectTimeout;
            }
        }));
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
        catch (GitLabApiException e) when (Unreachable(e, settings.GitLabUrl) is { } reason)
        {
            output.WriteLine($"✗ cannot reach GitLab at {settings.GitLabUrl}: {reason}");
            output.WriteLine($"  fix: {UnreachableFix}; `doctor` checks the whole setup.");
            return CliExit.Failed;
        }
        catch (GitLabApiException e)
        {
            output.WriteLine($"✗ {Describe(e, TokenOf(verb))}");
            return CliExit.Failed;
        }
    }

    /// <summary>What to check when GitLab cannot be reached.</summary>
    public const string UnreachableFix = $"check {BotSettings.GitLabUrlKey} (GitLab's base URL, e.g. https://gitlab.example.com) and that GitLab runs there and this machine can reach it (DNS, proxy, firewall)";

    /// <summary>Whose token a verb runs with, as the README says: install and uninstall a group Owner's, the others the bot's.</summary>
    public enum Token
    {
        Bot,
        GroupOwner,
    }

    /// <summary>install and uninstall change the group's webhooks, which only its Owner may.</summary>
    public static Token TokenOf(string verb) => verb is "install" or "uninstall" ? Token.GroupOwner : Token.Bot;

    /// <summary>What the token of an install or uninstall must be, in the README's words.</summary>
    public const string OwnerTokenNeeded = "install and uninstall run with a group Owner's token (GITLAB_TOKEN of a user with the Owner role on the group, or Maintainer on each of its projects on GitLab Free; scope api), not the bot's";

    /// <summary>A short reason an admin can act on, for a failed GitLab call made with the bot's token.</summary>
    public static string Describe(GitLabApiException e) => Describe(e, Token.Bot);

    /// <summary>A short reason an admin can act on, for a failed GitLab call made with <paramref name="token"/>.</summary>
    public static string Describe(GitLabApiException e, Token token) => e.StatusCode switch
    {
        System.Net.HttpStatusCode.Unauthorized when token == Token.GroupOwner => $"{e.Message} (the token was refused: check GITLAB_TOKEN; {OwnerTokenNeeded})",
        System.Net.HttpStatusCode.Unauthorized => $"{e.Message} (the token was refused: check GITLAB_TOKEN)",
        System.Net.HttpStatusCode.Forbidden when token == Token.GroupOwner => $"{e.Message} ({OwnerTokenNeeded})",
        System.Net.HttpStatusCode.Forbidden => $"{e.Message} (the bot user needs the Maintainer role on projects, Owner on the group, and a token with the api scope)",
        null when GitLabCertificateTrust.IsCertificateFailure(e) => $"{e.Message} (GitLab's HTTPS certificate was refused: behind an internal CA, set {CaBundleEnvironmentVariable} to a PEM file with that CA's certificate; `doctor` says more)",
        null when Unreachable(e, null) is { } reason => $"{e.Message} (cannot reach GitLab: {reason}; {UnreachableFix}; `doctor` checks the whole setup)",
        null => $"{e.Message} (GitLab did not answer: check GITLAB_URL, and DNS, proxy and firewall between this machine and GitLab; `doctor` checks the whole setup)",
        _ => e.Message,
    };

    /// <summary>
    /// Why no connection to GitLab was made, in a few words ("connection refused", "the host name … does not resolve");
    /// null when GitLab answered, or the failure came later (a certificate refused, an answer cut short).
    /// </summary>
    public static string? Unreachable(GitLabApiException e, Uri? gitLabUrl)
    {
        if (e.StatusCode is not null || GitLabCertificateTrust.IsCertificateFailure(e))
        {
            return null;
        }
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError }:
                    return gitLabUrl is null ? "its host name does not resolve (DNS)" : $"the host name {gitLabUrl.Host} does not resolve (DNS)";
                case System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused }:
                    return "connection refused";
                case System.Net.Sockets.SocketException socket:
                    return Lower(socket.Message);
                case TimeoutException:
                    // SocketsHttpHandler's ConnectTimeout: the address takes no connection (a firewall dropping it).
                    return $"no connection within {ConnectTimeout.TotalSeconds:0} s";
            }
        }
        return null;
    }

    private static string Lower(string text) => text.Length == 0 ? text : char.ToLowerInvariant(text[0]) + text[1..];
}
