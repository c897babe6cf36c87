using GitLabMrBot.Configuration;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Config;

namespace GitLabMrBot.UnitTests.Policies;

public sealed class SchemaTests
{
    [Fact]
    public void Checked_in_schema_matches_the_config_types()
    {
        var path = Path.Combine(PolicyTestKit.RepositoryRoot, BotConfigSchema.FileName);
        var generated = BotConfigSchema.Generate();
        if (Environment.GetEnvironmentVariable("UPDATE_SCHEMA") == "1")
        {
            File.WriteAllText(path, generated);
        }

        var checkedIn = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : "(missing)";

        Assert.True(generated == checkedIn,
            $"{BotConfigSchema.FileName} is out of date with the config types. Regenerate it with: " +
            "UPDATE_SCHEMA=1 dotnet test tests/GitLabMrBot.UnitTests --filter FullyQualifiedName~SchemaTests");
    }

    [Fact]
    public void Schema_rejects_unknown_properties_and_knows_every_condition()
    {
        var schema = BotConfigSchema.Generate();

        Assert.Contains("\"additionalProperties\": false", schema);
        foreach (var condition in new[] { "changedFiles", "onlyChangedFiles", "title", "description", "sourceBranch", "targetBranch", "author", "draft", "labels", "linesChanged", "filesChanged", "commitMessages", "any", "all", "not" })
        {
            Assert.Contains($"\"{condition}\"", schema);
        }
        Assert.Contains("least-loaded", schema);
    }

    [Fact]
    public void Root_config_validates_and_uses_every_feature()
    {
        var path = Path.Combine(PolicyTestKit.RepositoryRoot, "bot.config.json");

        var result = PolicyConfigLoader.LoadFile(path);

        Assert.True(result.IsValid, result.IsValid ? "" : result.Describe(path));
        var config = result.Config!;
        Assert.Equal("./bot.config.schema.json", config.Source.Schema);
        Assert.Equal(5, config.Policies.Count);
        Assert.NotNull(config.SizeLabels);
        Assert.Equal("needs-rebase", config.NeedsRebaseLabel);
        Assert.Equal(2, config.Reviewers.Count);
        Assert.Equal(new Uri("https://gitlab.example.com"), config.GitLabUrl);
    }
}
