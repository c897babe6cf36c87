using System.CommandLine;
using GitLabMrBot.Configuration;

namespace GitLabMrBot.Cli;

/// <summary>
/// A switch that sets a setting: <c>--config PATH</c> is <c>MRBOT_CONFIG</c>, <c>--database DB</c> is <c>MRBOT_DATABASE</c>.
/// <c>serve</c> hands it to the host's configuration (<see cref="SwitchMappings"/>); the other verbs lay it over their settings.
/// </summary>
internal sealed class SettingOption : Option<string>
{
    private SettingOption(string name, string key, string helpName, string description)
        : base(name)
    {
        Key = key;
        HelpName = helpName;
        Description = description;
    }

    /// <summary>The configuration key the switch sets.</summary>
    public string Key { get; }

    public static SettingOption Config() =>
        new("--config", BotSettings.ConfigPathKey, "PATH", $"The policy config file [default: ${BotSettings.ConfigPathKey} or bot.config.json]");

    public static SettingOption Database() =>
        new("--database", BotSettings.DatabaseKey, "DB", $"The store: a SQLite file or a PostgreSQL connection string [default: ${BotSettings.DatabaseKey} or mrbot.db]");

    /// <summary>For the host's <c>AddCommandLine</c>: each switch to its setting.</summary>
    public static Dictionary<string, string> SwitchMappings =>
        new[] { Config(), Database() }.ToDictionary(o => o.Name, o => o.Key, StringComparer.Ordinal);

    /// <summary><paramref name="settings"/> with the switches given on this command line on top.</summary>
    public static IConfiguration Apply(ParseResult result, IConfiguration settings)
    {
        var given = result.CommandResult.Command.Options.OfType<SettingOption>()
            .Select(o => (o.Key, Value: result.GetValue(o)))
            .Where(s => s.Value is not null)
            .Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))
            .ToList();
        return given.Count == 0
            ? settings
            : new ConfigurationBuilder().AddConfiguration(settings).AddInMemoryCollection(given).Build();
    }
}
