namespace GitLabMrBot.Cli;

/// <summary>Options of one verb: <c>--name value</c> or <c>--name=value</c>, some repeatable, and bare flags (<c>--dry-run</c>).</summary>
internal sealed class CliArguments
{
    private static readonly HashSet<string> NoFlags = [];

    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public bool Help { get; private set; }

    public string? this[string name] => _values.TryGetValue(name, out var values) ? values[^1] : null;

    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var values) ? values : [];

    /// <summary>Whether the bare flag <paramref name="name"/> (one of the parser's <c>flags</c>) was given.</summary>
    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>Parses <paramref name="args"/> (without the verb); returns null and an error for anything unexpected.</summary>
    public static CliArguments? Parse(IReadOnlyList<string> args, IReadOnlySet<string> known, out string? error) =>
        Parse(args, known, NoFlags, out error);

    /// <summary>As above, with <paramref name="flags"/>: options that take no value.</summary>
    public static CliArguments? Parse(IReadOnlyList<string> args, IReadOnlySet<string> known, IReadOnlySet<string> flags, out string? error)
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
            if (flags.Contains(arg))
            {
                parsed._flags.Add(arg);
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
