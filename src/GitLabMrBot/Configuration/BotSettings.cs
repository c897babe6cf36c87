using System.Text;

namespace GitLabMrBot.Configuration;

/// <summary>
/// The process settings of docs/contract.md §3, read from the environment (or any .NET configuration source).
/// Holds secrets: <see cref="ToString"/> never prints them, and nothing else here logs them.
/// </summary>
public sealed class BotSettings
{
    public const string GitLabUrlKey = "GITLAB_URL";
    public const string GitLabTokenKey = "GITLAB_TOKEN";
    public const string WebhookSecretKey = "GITLAB_WEBHOOK_SECRET";
    public const string SigningTokenKey = "GITLAB_WEBHOOK_SIGNING_TOKEN";
    public const string ConfigPathKey = "MRBOT_CONFIG";
    public const string DatabaseKey = "MRBOT_DATABASE";

    public required Uri GitLabUrl { get; init; }
    public required string GitLabToken { get; init; }

    /// <summary>Every accepted <c>X-Gitlab-Token</c> value (several during a rotation).</summary>
    public required IReadOnlyList<string> WebhookSecrets { get; init; }

    /// <summary>The HMAC key decoded from a <c>whsec_…</c> signing token, when one is set.</summary>
    public byte[]? SigningKey { get; init; }

    public required string ConfigPath { get; init; }
    public required string Database { get; init; }

    public bool DatabaseIsPostgres => IsPostgres(Database);

    /// <summary>A PostgreSQL connection string (<c>Host=…</c>) rather than a SQLite file path.</summary>
    public static bool IsPostgres(string database) => database.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    public override string ToString() =>
        $"GitLab {GitLabUrl}, config {ConfigPath}, store {(DatabaseIsPostgres ? "postgres" : Database)}";

    public static bool TryLoad(IConfiguration configuration, out BotSettings? settings, out IReadOnlyList<string> problems)
    {
        var found = new List<string>();
        var configPath = Blank(configuration[ConfigPathKey]) ?? "bot.config.json";
        var database = Blank(configuration[DatabaseKey]) ?? "mrbot.db";

        var fromEnvironment = Blank(configuration[GitLabUrlKey]);
        var urlText = fromEnvironment ?? GitLabBaseUrl.ReadFromConfigFile(configPath);
        Uri? url = null;
        if (urlText is null)
        {
            found.Add($"{GitLabUrlKey} is not set: export {GitLabUrlKey}=https://gitlab.example.com (or set gitlab.url in {configPath}).");
        }
        else if (fromEnvironment is null && GitLabBaseUrl.IsDocumentationExample(urlText))
        {
            // The shipped bot.config.json names the documentation's example host: a bot started without GITLAB_URL
            // would quietly talk to nobody's GitLab.
            found.Add($"{GitLabUrlKey} is not set, and gitlab.url in {configPath} is the example {urlText}: export {GitLabUrlKey}=<your GitLab's URL>.");
        }
        else if (!GitLabBaseUrl.TryParse(urlText, out url))
        {
            found.Add($"{GitLabUrlKey} is not an http(s) URL: set it to the GitLab base URL, e.g. https://gitlab.example.com.");
        }

        var token = Blank(configuration[GitLabTokenKey]);
        if (token is null)
        {
            found.Add($"{GitLabTokenKey} is not set: export {GitLabTokenKey}=<token of the bot user, scope api>.");
        }

        var secrets = (configuration[WebhookSecretKey] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (secrets.Length == 0)
        {
            found.Add($"{WebhookSecretKey} is not set: export {WebhookSecretKey}=<the webhook's secret token> (a comma-separated list during a rotation).");
        }

        byte[]? signingKey = null;
        var signing = Blank(configuration[SigningTokenKey]);
        if (signing is not null)
        {
            signingKey = DecodeSigningToken(signing);
            if (signingKey is null)
            {
                found.Add($"{SigningTokenKey} is not a signing token: it must be whsec_ followed by base64, as GitLab shows it.");
            }
        }

        problems = found;
        settings = found.Count > 0 ? null : new BotSettings
        {
            GitLabUrl = url!,
            GitLabToken = token!,
            WebhookSecrets = secrets,
            SigningKey = signingKey,
            ConfigPath = configPath,
            Database = database,
        };
        return settings is not null;
    }

    public static string DescribeProblems(IReadOnlyList<string> problems)
    {
        var text = new StringBuilder("GitLabMrBot cannot start; fix these settings (environment variables):\n");
        foreach (var problem in problems)
        {
            text.Append("  - ").Append(problem).Append('\n');
        }
        return text.ToString();
    }

    internal static byte[]? DecodeSigningToken(string token)
    {
        const string prefix = "whsec_";
        if (!token.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }
        try
        {
            var key = Convert.FromBase64String(token[prefix.Length..]);
            return key.Length == 0 ? null : key;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

public static class BotSettingsServiceCollectionExtensions
{
    /// <summary>Registers <see cref="BotSettings"/>; the host only starts once they loaded (Program checks first).</summary>
    public static IServiceCollection AddBotSettings(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ => BotSettings.TryLoad(configuration, out var settings, out var problems)
            ? settings!
            : throw new InvalidOperationException(BotSettings.DescribeProblems(problems)));
        return services;
    }
}
