using System.ComponentModel;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using GitLabMrBot.Policies.Config;

namespace GitLabMrBot.Configuration;

/// <summary>
/// Generates <c>bot.config.schema.json</c> from the config records, so the schema cannot drift from
/// what the bot reads (a unit test compares it with the checked-in file).
/// </summary>
public static class BotConfigSchema
{
    public const string FileName = "bot.config.schema.json";

    public static string Generate()
    {
        var options = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = Transform,
        };
        var schema = JsonSchemaExporter.GetJsonSchemaAsNode(BotConfigJsonContext.Default.BotConfig, options).AsObject();
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = "https://gitlab-mr-bot.local/bot.config.schema.json",
            ["title"] = "GitLabMrBot configuration (bot.config.json)",
        };
        foreach (var (key, value) in schema.ToList())
        {
            schema.Remove(key);
            root[key] = value;
        }
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentSize = 2, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    private static JsonNode Transform(JsonSchemaExporterContext context, JsonNode schema)
    {
        if (context.TypeInfo.Type == typeof(AssigneesConfig))
        {
            schema = AssigneesSchema();
        }
        if (schema is not JsonObject node)
        {
            return schema;
        }

        // Null is never accepted (leave a property out instead), so "null" is dropped from every type.
        if (node["type"] is JsonArray types)
        {
            var kept = types.Select(t => t!.GetValue<string>()).Where(t => t != "null").ToList();
            node["type"] = kept.Count == 1 ? kept[0] : new JsonArray([.. kept.Select(t => (JsonNode)t)]);
        }

        if (context.PropertyInfo is { } property)
        {
            if (property.AttributeProvider?.GetCustomAttributes(typeof(DescriptionAttribute), inherit: false) is [DescriptionAttribute description, ..])
            {
                node.Insert(0, "description", description.Description);
            }
            var owner = property.DeclaringType;
            if (owner == typeof(ReviewersConfig) && property.Name == "strategy")
            {
                node["enum"] = new JsonArray("least-loaded", "round-robin", "random");
            }
            if (owner == typeof(SweepConfig) && property.Name == "existingMergeRequests")
            {
                node["enum"] = new JsonArray([.. Policies.ExistingMergeRequestRule.Names.Select(n => (JsonNode)n)]);
            }
            if (owner == typeof(BotConfig) && property.Name == "labels")
            {
                node["additionalProperties"] = new JsonObject { ["type"] = "string", ["pattern"] = "^#[0-9A-Fa-f]{6}$" };
            }
            if ((owner == typeof(RangeConfig) && property.Name is "min" or "max")
                || (owner == typeof(SizeLabelsConfig) && property.Name == "thresholds"))
            {
                var target = property.Name == "thresholds" ? node["additionalProperties"]!.AsObject() : node;
                target["minimum"] = 0;
            }
            if ((owner == typeof(ReviewersConfig) || owner == typeof(ReviewersActionConfig)) && property.Name == "count")
            {
                node["minimum"] = 1;
            }
        }
        return node;
    }

    private static JsonObject AssigneesSchema() => new()
    {
        ["oneOf"] = new JsonArray(
            new JsonObject { ["const"] = AssigneesConfig.AuthorKeyword, ["description"] = "Assign the MR's author." },
            new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["users"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" }, ["minItems"] = 1 },
                },
                ["required"] = new JsonArray("users"),
                ["additionalProperties"] = false,
            }),
    };
}
