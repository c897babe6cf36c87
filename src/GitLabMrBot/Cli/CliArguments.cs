namespace GitLabMrBot.Cli;

/// <summary>Options of one verb: <c>--name value</c> or <c>--name=value</c>, some repeatable.</summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public bool Help { get; private set; }

    public string? this[string name] => _values.TryGetValue(name, out var values) ? values[^1] : null;

    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var values) ? values : [];

    /// <summary>Parses <paramref name="args"/> (without the verb); returns null and an error for anything unexpected.</summary>
    public static CliArguments? Parse(IReadOnlyList<string> args, IReadOnlySet<string> known, out string? error)
    {
        var parsed = new CliArguments();
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                parsed.Help = true;
                continue;
            }
            string name;
            string? value = null;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                name = arg[..equals];
                value = arg[(equals + 1)..];
            }
            else
            {
                name = arg;
            }
            if (!known.Contains(name))
            {
                error = $"unknown option '{arg}'";
                return null;
            }
            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    error = $"{name} needs a value";
                    return null;
                }
                value = args[++i];
            }
            if (!parsed._values.TryGetValue(name, out var list))
            {
                parsed._values[name] = list = [];
            }
            list.Add(value);
        }
        return parsed;
    }
}
