using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Config;

namespace GitLabMrBot.Configuration;

/// <summary>The outcome of loading <c>bot.config.json</c>: a compiled config, or every error found.</summary>
public sealed record ConfigLoadResult(CompiledConfig? Config, IReadOnlyList<ConfigError> Errors)
{
    [MemberNotNullWhen(true, nameof(Config))]
    public bool IsValid => Config is not null;

    /// <summary>All errors, one per line, as <c>validate</c> and start-up print them.</summary>
    public string Describe(string sourceName)
    {
        var text = new StringBuilder();
        text.Append(sourceName).Append(" has ").Append(Errors.Count).Append(Errors.Count == 1 ? " error" : " errors").Append(':').Append('\n');
        foreach (var error in Errors)
        {
            text.Append("  ").Append(error).Append('\n');
        }
        return text.ToString();
    }
}

/// <summary>
/// Reads, validates and compiles <c>bot.config.json</c>, reporting every error at once with its JSON
/// path and line: parse errors, unknown properties, wrong types, then semantic checks (regexes,
/// globs, ranges, colours, names, templates).
/// </summary>
public static class PolicyConfigLoader
{
    /// <summary>How long one regex match may run before it counts as not matching.</summary>
    public static readonly TimeSpan DefaultRegexTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>How long all regular expressions of one evaluation may take together (<c>MRBOT_EVALUATION_BUDGET_MS</c>).</summary>
    public static readonly TimeSpan DefaultEvaluationBudget = TimeSpan.FromSeconds(2);

    /// <summary>How long the regular expressions of one policy may take in one evaluation (<c>MRBOT_POLICY_BUDGET_MS</c>).</summary>
    public static readonly TimeSpan DefaultPolicyBudget = TimeSpan.FromSeconds(1);

    /// <summary>The default budgets, on the system clock (the host passes its own clock and settings).</summary>
    public static EvaluationLimits DefaultLimits { get; } = new(DefaultEvaluationBudget, DefaultPolicyBudget, TimeProvider.System);

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    // The shape check has already reported unknown properties and missing required ones; this reads
    // what is left so semantic checks run on every part that is well-formed.
    private static readonly JsonSerializerOptions Lenient = new(BotConfigJsonContext.Default.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        TypeInfoResolver = BotConfigJsonContext.Default.WithAddedModifier(static info =>
        {
            foreach (var property in info.Properties)
            {
                property.IsRequired = false;
            }
        }),
    };

    public static ConfigLoadResult LoadFile(string path, TimeSpan? regexTimeout = null, EvaluationLimits? limits = null)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Failed(new ConfigError(JsonPath.Root, null, $"config file {path} not found: create it, or point {BotSettings.ConfigPathKey} (or --config) at it"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Failed(new ConfigError(JsonPath.Root, null, $"config file {path} cannot be read: {e.Message}"));
        }
        return Load(bytes, path, regexTimeout, limits);
    }

    public static ConfigLoadResult Load(string json, string sourceName, TimeSpan? regexTimeout = null, EvaluationLimits? limits = null) =>
        Load(Encoding.UTF8.GetBytes(json), sourceName, regexTimeout, limits);

    /// <param name="limits">The time budget of each evaluation; <see cref="DefaultLimits"/> when null.</param>
    public static ConfigLoadResult Load(ReadOnlyMemory<byte> json, string sourceName, TimeSpan? regexTimeout = null, EvaluationLimits? limits = null)
    {
        if (json.Span.StartsWith("\uFEFF"u8))
        {
            json = json[3..];
        }

        // Checked before parsing: System.Text.Json accepts invalid UTF-8 inside strings and only fails on decoding them,
        // deep in the checks, as an exception instead of an error with a line (found by ConfigLoaderFuzzTests).
        if (FirstInvalidUtf8(json.Span) is { } invalid)
        {
            return Failed(new ConfigError(JsonPath.Root, json.Span[..invalid].Count((byte)'\n') + 1, $"not valid UTF-8 (byte {invalid + 1}): save the file as UTF-8"));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            return Failed(new ConfigError(JsonPath.Root, (int?)e.LineNumber + 1, "invalid JSON: " + ParseMessage(e)));
        }

        using (document)
        {
            var positions = JsonPositions.Build(json.Span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var errors = new List<ConfigError>();
            void Report(string path, string message) => errors.Add(new ConfigError(path, positions.LineOf(path), message));

            var cleaned = new ConfigShapeChecker(Report).Check(document.RootElement);
            if (cleaned is null)
            {
                return Failed([.. errors]);
            }

            BotConfig config;
            try
            {
                config = cleaned.Deserialize((JsonTypeInfo<BotConfig>)Lenient.GetTypeInfo(typeof(BotConfig)))!;
            }
            catch (JsonException e)
            {
                // The shape check should make this unreachable; report it rather than crash.
                Report(e.Path ?? JsonPath.Root, e.Message);
                return Failed([.. errors]);
            }

            bool HasErrorsBelow(string path) => errors.Exists(e => e.Path.StartsWith(path + ".", StringComparison.Ordinal) || e.Path.StartsWith(path + "[", StringComparison.Ordinal));
            var compiled = new ConfigCompiler(Report, HasErrorsBelow, regexTimeout ?? DefaultRegexTimeout, limits ?? DefaultLimits).Compile(config, sourceName);
            return errors.Count == 0
                ? new ConfigLoadResult(compiled, [])
                : Failed([.. errors]);
        }
    }

    private static int? FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return null;
        }
        var at = 0;
        while (Rune.DecodeFromUtf8(bytes[at..], out _, out var consumed) == System.Buffers.OperationStatus.Done)
        {
            at += consumed;
        }
        return at;
    }

    private static ConfigLoadResult Failed(params ConfigError[] errors) =>
        new(null, errors.OrderBy(e => e.Line ?? 0).ToList()); // stable: within a line, in the order found

    private static string ParseMessage(JsonException e)
    {
        // System.Text.Json appends " Path: … | LineNumber: … | BytePositionInLine: …"; the line is printed separately.
        var message = e.Message;
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }
        }
        return $"{message.TrimEnd()} (column {e.BytePositionInLine + 1})";
    }
}
