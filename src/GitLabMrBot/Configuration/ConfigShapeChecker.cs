using System.Text.Json;
using System.Text.Json.Nodes;
using GitLabMrBot.Policies.Config;
using Json.Pointer;
using Json.Schema;

namespace GitLabMrBot.Configuration;

/// <summary>
/// Checks a parsed document against the JSON schema generated from the config records
/// (<see cref="BotConfigSchema"/>, the very schema editors use) and reports every unknown property, wrong type,
/// null, duplicate and missing required property, instead of stopping at the first as the serializer does.
/// It returns a copy of the document without the bad parts, so the semantic checks still run on everything else.
/// </summary>
/// <remarks>
/// JsonSchema.Net finds what fails; this class words it. The schema's value keywords (pattern, minimum, enum,
/// minItems) are left to <see cref="ConfigCompiler"/>, whose messages say what to write instead.
/// </remarks>
internal sealed class ConfigShapeChecker(Action<string, string> report)
{
    private const string NotNull = "must not be null (leave the property out to use the default)";

    private static readonly Lazy<(JsonSchema Evaluator, JsonObject Document)> Schema = new(() =>
    {
        var text = BotConfigSchema.Generate();
        // A registry of its own: the schema's $id must not collide with another build in the global one.
        var evaluator = JsonSchema.FromText(text, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
        return (evaluator, JsonNode.Parse(text)!.AsObject());
    });

    private static readonly EvaluationOptions Options = new() { OutputFormat = OutputFormat.Hierarchical };

    // Where each error sorts: the document-order number of its node, or (Tie 1) just after the numbered node.
    private readonly List<(string Path, string Message, int Order, int Tie)> _found = [];
    private readonly Dictionary<string, int> _order = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _lastBelow = new(StringComparer.Ordinal);

    private sealed record Location(string Path, JsonNode? Node, JsonNode? Parent, string? Name, int Index, JsonObject? Schema, bool IsOneOf);

    public JsonNode? Check(JsonElement root)
    {
        var (evaluator, schema) = Schema.Value;
        var copy = Copy(root, schema, JsonPath.Root);
        var keepRoot = copy is not null;
        if (copy is null)
        {
            Add(JsonPath.Root, NotNull);
        }
        else
        {
            using var evaluated = JsonDocument.Parse(copy.ToJsonString());
            var pruned = new List<Location>();
            Collect(evaluator.Evaluate(evaluated.RootElement, Options), copy, schema, pruned);
            foreach (var bad in pruned)
            {
                keepRoot &= Prune(bad);
            }
            CheckWholeNumbers(copy, schema, JsonPath.Root, () => keepRoot = false);
        }

        // In document order (an object's missing properties after its contents); the loader then sorts by line.
        foreach (var (path, message, _, _) in _found.DistinctBy(f => (f.Path, f.Message)).OrderBy(f => f.Order).ThenBy(f => f.Tie))
        {
            report(path, message);
        }
        return keepRoot ? copy : null;
    }

    // Failed nodes only: a oneOf that passed still lists the failures of its other branch.
    private void Collect(EvaluationResults results, JsonNode copy, JsonObject schema, List<Location> pruned)
    {
        if (results.IsValid)
        {
            return;
        }
        foreach (var keyword in results.Errors?.Keys.ToList() ?? [])
        {
            if (Word(Locate(copy, schema, results.InstanceLocation), keyword) is { } bad)
            {
                pruned.Add(bad);
            }
        }
        foreach (var detail in results.Details ?? [])
        {
            Collect(detail, copy, schema, pruned);
        }
    }

    /// <summary>Words one failed keyword at <paramref name="steps"/>' end; returns the location to drop, if any.</summary>
    private Location? Word(List<Location> steps, string keyword)
    {
        var at = steps[^1];
        if (keyword.Length == 0) // the false schema, i.e. additionalProperties: false
        {
            Add(at.Path, UnknownProperty(at.Name!, [.. Properties(steps[^2].Schema)]));
            return at;
        }
        if (at.Node is null)
        {
            Add(at.Path, NotNull);
            return at;
        }
        // The one oneOf (assignees): an object is worded by the object branch's own failures below.
        if (steps.LastOrDefault(s => s.IsOneOf && s.Node is not JsonObject) is { } choice)
        {
            var kind = choice.Node!.GetValueKind();
            Add(choice.Path, $"must be \"{AssigneesConfig.AuthorKeyword}\" or an object {{\"users\": [...]}}"
                + (kind == JsonValueKind.String ? "" : $", found {JsonPath.Describe(kind)}"));
            return choice;
        }
        switch (keyword)
        {
            case "type":
                Add(at.Path, Expected(TypeOf(at.Schema), at.Node.GetValueKind()));
                return at;
            case "required" when at.Node is JsonObject present:
                foreach (var name in (at.Schema?["required"]?.AsArray() ?? []).Select(n => n!.GetValue<string>()).Where(n => !present.ContainsKey(n)))
                {
                    _found.Add((at.Path, $"missing required property \"{name}\"", _lastBelow.GetValueOrDefault(at.Path), 1));
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>A mutable copy of the document (JsonObject refuses duplicates): the first of duplicates wins.</summary>
    private JsonNode? Copy(JsonElement element, JsonObject? schema, string path)
    {
        _order.TryAdd(path, _order.Count);
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                schema = Resolve(schema, isObject: true);
                var copy = new JsonObject();
                foreach (var property in element.EnumerateObject())
                {
                    var childPath = JsonPath.Property(path, property.Name);
                    if (copy.ContainsKey(property.Name))
                    {
                        var what = schema?["properties"] is null && schema?["additionalProperties"] is JsonObject ? "key" : "property";
                        _found.Add((childPath, $"duplicate {what} \"{property.Name}\"", _order.Count - 1, 1));
                        continue;
                    }
                    copy[property.Name] = Copy(property.Value, Child(schema, property.Name), childPath);
                }
                _lastBelow[path] = _order.Count - 1;
                return copy;
            case JsonValueKind.Array:
                var items = Resolve(schema, isObject: false)?["items"] as JsonObject;
                var array = new JsonArray();
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    array.Add(Copy(item, items, JsonPath.Index(path, index++)));
                }
                return array;
            case JsonValueKind.Null:
                return null;
            default:
                return JsonValue.Create(element);
        }
    }

    /// <summary>The node at <paramref name="pointer"/> and every step to it, each with its schema.</summary>
    private static List<Location> Locate(JsonNode root, JsonObject rootSchema, JsonPointer pointer)
    {
        var steps = new List<Location> { At(JsonPath.Root, root, null, null, -1, rootSchema) };
        for (var i = 0; i < pointer.SegmentCount; i++)
        {
            var (path, node, _, _, _, schema, _) = steps[^1];
            var segment = pointer[i];
            if (node is JsonObject obj && NameOf(obj, segment) is { } name)
            {
                steps.Add(At(JsonPath.Property(path, name), obj[name], obj, name, -1, Child(schema, name)));
            }
            else if (node is JsonArray array && segment.ToInt() is { } index && index < array.Count)
            {
                steps.Add(At(JsonPath.Index(path, index), array[index], array, null, index, schema?["items"] as JsonObject));
            }
            else
            {
                break; // unreachable: the schema evaluated this very document
            }
        }
        return steps;

        // The segment is still escaped ("a~1b"); comparing lets the library unescape it.
        static string? NameOf(JsonObject obj, JsonPointerSegment segment)
        {
            foreach (var (key, _) in obj)
            {
                if (segment.Equals(key))
                {
                    return key;
                }
            }
            return null;
        }

        static Location At(string path, JsonNode? node, JsonNode? parent, string? name, int index, JsonObject? schema)
        {
            var isOneOf = Resolve(schema, isObject: false)?["oneOf"] is not null;
            return new(path, node, parent, name, index, Resolve(schema, node is JsonObject), isOneOf);
        }
    }

    /// <summary>A whole number that does not fit an <c>int</c> passes the schema's "integer" but not the reader.</summary>
    private void CheckWholeNumbers(JsonNode? node, JsonObject? schema, string path, Action drop)
    {
        switch (node)
        {
            case JsonObject obj:
                schema = Resolve(schema, isObject: true);
                foreach (var (name, child) in obj.ToList())
                {
                    CheckWholeNumbers(child, Child(schema, name), JsonPath.Property(path, name), () => obj.Remove(name));
                }
                break;
            case JsonArray array:
                var items = Resolve(schema, isObject: false)?["items"] as JsonObject;
                for (var i = 0; i < array.Count; i++)
                {
                    var index = i;
                    CheckWholeNumbers(array[i], items, JsonPath.Index(path, i), () => array[index] = null);
                }
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number && TypeOf(Resolve(schema, isObject: false)) == "integer" && !value.TryGetValue<int>(out _):
                Add(path, "expected a whole number");
                drop();
                break;
        }
    }

    /// <summary>Drops a bad part; a bad array item becomes null so the other items keep their indexes (and paths).</summary>
    private static bool Prune(Location bad)
    {
        switch (bad.Parent)
        {
            case JsonObject obj:
                obj.Remove(bad.Name!);
                return true;
            case JsonArray array:
                array[bad.Index] = null;
                return true;
            default:
                return false; // the root itself
        }
    }

    /// <summary>Follows <c>$ref</c>s; for an object under <c>oneOf</c>, takes the object branch.</summary>
    private static JsonObject? Resolve(JsonObject? schema, bool isObject)
    {
        while (schema?["$ref"]?.GetValue<string>() is { } reference)
        {
            schema = JsonPointer.Parse(reference.TrimStart('#')).TryEvaluate(Schema.Value.Document, out var target) ? target as JsonObject : null;
        }
        if (isObject && schema?["oneOf"] is JsonArray choices)
        {
            schema = choices.OfType<JsonObject>().FirstOrDefault(c => TypeOf(c) == "object") ?? schema;
        }
        return schema;
    }

    private static JsonObject? Child(JsonObject? schema, string name) =>
        (schema?["properties"]?[name] ?? schema?["additionalProperties"]) as JsonObject;

    private static IEnumerable<string> Properties(JsonObject? schema) =>
        (schema?["properties"] as JsonObject)?.Select(p => p.Key) ?? [];

    private static string? TypeOf(JsonObject? schema) =>
        schema?["type"] is JsonValue type && type.TryGetValue<string>(out var name) ? name : null;

    private static string Expected(string? type, JsonValueKind found) => type switch
    {
        "boolean" => $"expected true or false, found {JsonPath.Describe(found)}",
        "integer" when found == JsonValueKind.Number => "expected a whole number",
        "integer" => $"expected a whole number, found {JsonPath.Describe(found)}",
        "object" => $"expected an object, found {JsonPath.Describe(found)}",
        "array" => $"expected an array, found {JsonPath.Describe(found)}",
        "string" => $"expected a string, found {JsonPath.Describe(found)}",
        _ => $"expected {type}, found {JsonPath.Describe(found)}",
    };

    private void Add(string path, string message) => _found.Add((path, message, _order.GetValueOrDefault(path), 0));

    private static string UnknownProperty(string name, IReadOnlyList<string> known)
    {
        var closest = known.OrderBy(k => Distance(name, k)).FirstOrDefault();
        var hint = closest is not null && Distance(name, closest) <= Math.Max(2, name.Length / 3)
            ? $"did you mean \"{closest}\"?"
            : $"expected one of: {string.Join(", ", known)}";
        return $"unknown property \"{name}\": {hint}";
    }

    // Levenshtein distance, case-insensitive: "changedfiles" is one step from "changedFiles" in spirit, zero here.
    private static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            previous = current;
        }
        return previous[b.Length];
    }
}
