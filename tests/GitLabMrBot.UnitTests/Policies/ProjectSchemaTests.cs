using System.Text.Json.Nodes;
using GitLabMrBot.Configuration;

namespace GitLabMrBot.UnitTests.Policies;

/// <summary>Issue 14 item 7: the project file's schema is generated from the config types and checked in beside the group's.</summary>
public sealed class ProjectSchemaTests
{
    [Fact]
    public void Item7_checked_in_project_schema_matches_the_config_types()
    {
        var path = Path.Combine(PolicyTestKit.RepositoryRoot, ProjectConfigSchema.FileName);
        var generated = ProjectConfigSchema.Generate();
        if (Environment.GetEnvironmentVariable("UPDATE_SCHEMA") == "1")
        {
            File.WriteAllText(path, generated);
        }

        var checkedIn = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : "(missing)";

        Assert.True(generated == checkedIn,
            $"{ProjectConfigSchema.FileName} is out of date with the config types. Regenerate it with: " +
            "UPDATE_SCHEMA=1 dotnet test tests/GitLabMrBot.UnitTests --filter FullyQualifiedName~SchemaTests");
    }

    [Fact]
    public void Item7_the_project_schema_has_the_policy_sections_and_none_of_the_bot_wide_ones()
    {
        var properties = JsonNode.Parse(ProjectConfigSchema.Generate())!["properties"]!.AsObject().Select(p => p.Key).ToList();

        Assert.Contains("policies", properties);
        Assert.All(ProjectConfigCompiler.Sections, s => Assert.Contains(s, properties));
        Assert.All(ProjectConfigCompiler.BotWide, f => Assert.DoesNotContain(f, properties));
    }
}
