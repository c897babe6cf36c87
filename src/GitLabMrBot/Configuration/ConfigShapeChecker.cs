using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Config;

namespace GitLabMrBot.Configuration;

/// <summary>
/// Checks a parsed document against the config types' own metadata (so the check cannot drift from
/// the records) and reports every unknown property, wrong type, duplicate and missing required
/// property, instead of stopping at the first as the serializer does. It returns a copy of the
/// document without the bad parts, so semantic checks can still run on everything else.
/// </summary>
internal sealed class ConfigShapeChecker(JsonSerializerOptions options, Action<string, string> report)
{
    public JsonNode? Check(JsonElement element, JsonTypeInfo typeInfo, string path)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            report(path, "must not be null (leave the property out to use the default)");
            return null;
        }
        if (typeInfo.Type == typeof(AssigneesConfig))
        {
            return CheckAssignees(element, path);
        }
        return typeInfo.Kind switch
        {
            JsonTypeInfoKind.Object => CheckObject(element, typeInfo, path),
            JsonTypeInfoKind.Enumerable => CheckArray(element, options.GetTypeInfo(typeInfo.ElementType!), path),
            JsonTypeInfoKind.Dictionary => CheckDictionary(element, options.GetTypeInfo(typeInfo.ElementType!), path),
            _ => CheckValue(element, Nullable.GetUnderlyingType(typeInfo.Type) ?? typeInfo.Type, path),
        };
    }

    private JsonObject? CheckObject(JsonElement element, JsonTypeInfo typeInfo, string path)
    {
        if (!Expect(element, JsonValueKind.Object, path))
        {
            return null;
        }
        var result = new JsonObject();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var childPath = JsonPath.Property(path, property.Name);
            if (!seen.Add(property.Name))
            {
                report(childPath, $"duplicate property \"{property.Name}\"");
                continue;
            }
            var info = typeInfo.Properties.FirstOrDefault(p => p.Name == property.Name);
            if (info is null)
            {
                report(childPath, UnknownProperty(property.Name, typeInfo.Properties.Select(p => p.Name).ToList()));
                continue;
            }
            if (Check(property.Value, options.GetTypeInfo(info.PropertyType), childPath) is { } child)
            {
                result[property.Name] = child;
            }
        }
        foreach (var required in typeInfo.Properties.Where(p => p.IsRequired))
        {
            if (!element.TryGetProperty(required.Name, out _))
            {
                report(path, $"missing required property \"{required.Name}\"");
            }
        }
        return result;
    }

    private JsonArray? CheckArray(JsonElement element, JsonTypeInfo elementType, string path)
    {
        if (!Expect(element, JsonValueKind.Array, path))
        {
            return null;
        }
        var result = new JsonArray();
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            // A bad item stays as null so the indexes of the others (and their error paths) do not shift.
            result.Add(Check(item, elementType, JsonPath.Index(path, index++)));
        }
        return result;
    }

    private JsonObject? CheckDictionary(JsonElement element, JsonTypeInfo valueType, string path)
    {
        if (!Expect(element, JsonValueKind.Object, path))
        {
            return null;
        }
        var result = new JsonObject();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var childPath = JsonPath.Property(path, property.Name);
            if (!seen.Add(property.Name))
            {
                report(childPath, $"duplicate key \"{property.Name}\"");
                continue;
            }
            if (Check(property.Value, valueType, childPath) is { } value)
            {
                result[property.Name] = value;
            }
        }
        return result;
    }

    private JsonValue? CheckValue(JsonElement element, Type type, string path)
    {
        var ok = type == typeof(string) ? Expect(element, JsonValueKind.String, path)
            : type == typeof(bool) ? ExpectBoolean(element, path)
            : type == typeof(int) ? ExpectInteger(element, path)
            : true;
        return ok ? JsonValue.Create(element) : null;
    }

    private JsonNode? CheckAssignees(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            if (element.GetString() == AssigneesConfig.AuthorKeyword)
            {
                return JsonValue.Create(element);
            }
            report(path, $"must be \"{AssigneesConfig.AuthorKeyword}\" or an object {{\"users\": [...]}}");
            return null;
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            report(path, $"must be \"{AssigneesConfig.AuthorKeyword}\" or an object {{\"users\": [...]}}, found {JsonPath.Describe(element.ValueKind)}");
            return null;
        }
        var users = new JsonArray();
        var hasUsers = false;
        foreach (var property in element.EnumerateObject())
        {
            var childPath = JsonPath.Property(path, property.Name);
            if (property.Name != "users")
            {
                report(childPath, UnknownProperty(property.Name, ["users"]));
                continue;
            }
            hasUsers = true;
            if (CheckArray(property.Value, options.GetTypeInfo(typeof(string)), childPath) is { } array)
            {
                foreach (var user in array.Where(u => u is not null))
                {
                    users.Add(user!.DeepClone());
                }
            }
        }
        if (!hasUsers)
        {
            report(path, "missing required property \"users\"");
        }
        return new JsonObject { ["users"] = users };
    }

    private bool Expect(JsonElement element, JsonValueKind kind, string path)
    {
        if (element.ValueKind == kind)
        {
            return true;
        }
        report(path, $"expected {JsonPath.Describe(kind)}, found {JsonPath.Describe(element.ValueKind)}");
        return false;
    }

    private bool ExpectBoolean(JsonElement element, string path)
    {
        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return true;
        }
        report(path, $"expected true or false, found {JsonPath.Describe(element.ValueKind)}");
        return false;
    }

    private bool ExpectInteger(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out _))
        {
            return true;
        }
        report(path, element.ValueKind == JsonValueKind.Number
            ? "expected a whole number"
            : $"expected a whole number, found {JsonPath.Describe(element.ValueKind)}");
        return false;
    }

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
