// Hand-written: System.Text.Json gives lines only for parse errors, and Newtonsoft.Json's line info would mean a second JSON parser for one lookup.
using System.Text;
using System.Text.Json;

namespace GitLabMrBot.Configuration;

/// <summary>
/// Maps JSON paths (<c>$.policies[2].when.title</c>) to 1-based line numbers of one document, so that
/// errors found after parsing (type and semantic checks) still point at a line. System.Text.Json only
/// reports lines for parse errors, so the document is walked once with <see cref="Utf8JsonReader"/>
/// and byte offsets are turned into lines.
/// </summary>
internal sealed class JsonPositions
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    private JsonPositions()
    {
    }

    public static JsonPositions Build(ReadOnlySpan<byte> json, JsonReaderOptions options)
    {
        var positions = new JsonPositions();
        var lineStarts = LineStarts(json);
        var reader = new Utf8JsonReader(json, options);
        // Each frame is a container: the path of the container and, for arrays, the next index.
        var stack = new Stack<(string Path, int NextIndex, bool IsArray)>();
        string? pendingProperty = null;

        while (reader.Read())
        {
            var line = LineOf(lineStarts, reader.TokenStartIndex);
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    pendingProperty = JsonPath.Property(stack.Peek().Path, reader.GetString()!);
                    positions._lines.TryAdd(pendingProperty, line);
                    continue;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    stack.Pop();
                    continue;
            }

            var path = ValuePath(stack, ref pendingProperty);
            positions._lines.TryAdd(path, line);
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                stack.Push((path, 0, reader.TokenType == JsonTokenType.StartArray));
            }
        }
        return positions;
    }

    /// <summary>The line of <paramref name="path"/>, or of its nearest ancestor the document has.</summary>
    public int? LineOf(string path)
    {
        for (var current = path; current.Length > 0; current = JsonPath.Parent(current))
        {
            if (_lines.TryGetValue(current, out var line))
            {
                return line;
            }
            if (current == JsonPath.Root)
            {
                break;
            }
        }
        return null;
    }

    private static string ValuePath(Stack<(string Path, int NextIndex, bool IsArray)> stack, ref string? pendingProperty)
    {
        if (stack.Count == 0)
        {
            return JsonPath.Root;
        }
        var top = stack.Peek();
        if (top.IsArray)
        {
            stack.Pop();
            stack.Push(top with { NextIndex = top.NextIndex + 1 });
            return JsonPath.Index(top.Path, top.NextIndex);
        }
        var path = pendingProperty ?? top.Path;
        pendingProperty = null;
        return path;
    }

    private static List<int> LineStarts(ReadOnlySpan<byte> json)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < json.Length; i++)
        {
            if (json[i] == (byte)'\n')
            {
                starts.Add(i + 1);
            }
        }
        return starts;
    }

    private static int LineOf(List<int> lineStarts, long offset)
    {
        var index = lineStarts.BinarySearch((int)offset);
        return (index >= 0 ? index : ~index - 1) + 1;
    }
}

/// <summary>JSON paths in the form the errors print: <c>$.policies[2].when.title</c>, <c>$.labels['type::feature']</c>.</summary>
internal static class JsonPath
{
    public const string Root = "$";

    public static string Property(string parent, string name) =>
        IsPlainName(name) ? $"{parent}.{name}" : $"{parent}['{name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)}']";

    public static string Index(string parent, int index) => $"{parent}[{index}]";

    /// <summary>The path one level up (<c>$.a.b</c> → <c>$.a</c>; <c>$.a[1]</c> → <c>$.a</c>).</summary>
    public static string Parent(string path)
    {
        if (path.Length == 0 || path == Root)
        {
            return "";
        }
        var end = path.Length - 1;
        if (path[end] == ']')
        {
            // Walk back to the matching '[' (quoted names may contain ']').
            var inQuote = false;
            for (var i = end - 1; i >= 0; i--)
            {
                if (path[i] == '\'' && (i == 0 || path[i - 1] != '\\'))
                {
                    inQuote = !inQuote;
                }
                else if (path[i] == '[' && !inQuote)
                {
                    return path[..i];
                }
            }
            return Root;
        }
        var dot = path.LastIndexOf('.');
        return dot <= 0 ? Root : path[..dot];
    }

    private static bool IsPlainName(string name)
    {
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            return false;
        }
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '$' or '-'))
            {
                return false;
            }
        }
        return true;
    }

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    public static string Quote(string text)
    {
        var builder = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            builder.Append(c switch { '"' => "\\\"", '\n' => "\\n", '\r' => "\\r", _ => c.ToString() });
        }
        return builder.Append('"').ToString();
    }
}
