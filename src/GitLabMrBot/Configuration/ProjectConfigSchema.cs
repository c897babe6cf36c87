using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GitLabMrBot.Configuration;

/// <summary>
/// Generates <c>mrbot.project.schema.json</c>, the schema of a project's own file (<c>.gitlab/mrbot.json</c>): the group
/// schema (<see cref="BotConfigSchema"/>, from the same records) without the bot-wide sections a project file may not set.
/// A unit test compares it with the checked-in file.
/// </summary>
public static class ProjectConfigSchema
{
    public const string FileName = "mrbot.project.schema.json";

    public static string Generate()
    {
        var schema = JsonNode.Parse(BotConfigSchema.Generate())!.AsObject();
        schema["$id"] = "https://gitlab-mr-bot.local/" + FileName;
        schema["title"] = "GitLabMrBot project file (.gitlab/mrbot.json or .mrbot.json): the group's bot.config.json decides which sections apply (projects.allow)";
        var properties = schema["properties"]!.AsObject();
        foreach (var field in ProjectConfigCompiler.BotWide)
        {
            properties.Remove(field);
        }
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentSize = 2, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }
}
