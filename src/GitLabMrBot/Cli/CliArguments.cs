namespace GitLabMrBot.Cli;

/// <summary>Exit codes of the short verbs.</summary>
public static class CliExit
{
    public const int Ok = 0;

    /// <summary>The task ran and something failed (a GitLab error, a failed doctor check).</summary>
    public const int Failed = 1;

    /// <summary>The command line or the settings are wrong: nothing was attempted.</summary>
    public const int Usage = 2;
}

/// <summary>
/// The options of one verb: <c>--name value</c>, <c>--name=value</c> and bare flags. Anything else is refused
/// with a message, so a typo (<c>--dryrun</c>) never runs a real install.
/// </summary>
internal sealed class CliArguments
{
    // Settings switches (CommandLine.SwitchMappings) reach the verbs through configuration; accept them here too.
    private static readonly string[] SettingSwitches = ["--config", "--database"];

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public string? Value(string name) => _values.TryGetValue(name, out var v) ? v : null;

    public bool Flag(string name) => _flags.Contains(name);

    public static bool TryParse(string[] args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string> flags, out CliArguments parsed, out string error)
    {
        parsed = new CliArguments();
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals > 0 ? arg[..equals] : arg;
            if (flags.Contains(name))
            {
                if (equals > 0)
                {
                    error = $"{name} takes no value.";
                    return false;
                }
                parsed._flags.Add(name);
                continue;
            }
            if (!valueOptions.Contains(name) && !SettingSwitches.Contains(name))
            {
                error = arg.StartsWith('-') ? $"unknown option {name}." : $"unexpected argument '{arg}'.";
                return false;
            }
            string value;
            if (equals > 0)
            {
                value = arg[(equals + 1)..];
            }
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
            }
            else
            {
                error = $"{name} needs a value.";
                return false;
            }
            if (string.IsNullOrWhiteSpace(value))
            {
                error = $"{name} needs a value.";
                return false;
            }
            parsed._values[name] = value.Trim();
        }
        return true;
    }
}
