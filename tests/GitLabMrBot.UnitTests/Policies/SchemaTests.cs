using System.Text.Json;
using System.Text.Json.Nodes;
using GitLabMrBot.Configuration;
using GitLabMrBot.Policies;
using Json.Schema;

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

    private static readonly string[] Conditions =
        ["changedFiles", "onlyChangedFiles", "title", "description", "sourceBranch", "targetBranch", "author", "draft", "labels", "linesChanged", "filesChanged", "commitMessages", "any", "all", "not"];

    [Fact]
    public void Schema_names_every_condition_at_every_level_and_nothing_else()
    {
        var when = JsonNode.Parse(BotConfigSchema.Generate())!["properties"]!["policies"]!["items"]!["properties"]!["when"]!;
        var nested = when["properties"]!["any"]!["items"]!;

        // Top level, inside any/all (one shared schema) and inside not: the same conditions, closed to others.
        foreach (var level in new[] { when, nested, nested["properties"]!["not"]! })
        {
            Assert.Equal(Conditions.Order(StringComparer.Ordinal), level["properties"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
            Assert.False(level["additionalProperties"]!.GetValue<bool>());
        }
        Assert.Equal("#/properties/policies/items/properties/when/properties/any/items", nested["properties"]!["all"]!["items"]!["$ref"]!.GetValue<string>());
    }

    [Fact]
    public void Schema_accepts_the_root_config()
    {
        using var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(PolicyTestKit.RepositoryRoot, "bot.config.json")));

        var result = Schema.Evaluate(root.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.True(result.IsValid, string.Join("; ", Errors(result)));
    }

    public static TheoryData<string, string> Mistakes => new()
    {
        // A typo in a property name is rejected where it stands, so it cannot silently disable a policy.
        { """{ "policy": [] }""", "/policy: false" },
        { """{ "policies": [ { "name": "x", "when": { "changedFile": ["a"] }, "then": { "addLabels": ["a"] } } ] }""", "/policies/0/when/changedFile: false" },
        { """{ "policies": [ { "name": "x", "when": { "any": [ { "not": { "titel": "x" } } ] }, "then": { "addLabels": ["a"] } } ] }""", "/policies/0/when/any/0/not/titel: false" },
        // Wrong types and values, each at its own path.
        { """{ "summaryComment": "yes" }""", "/summaryComment: type" },
        { """{ "policies": [ { "name": "x", "when": { "draft": "yes" }, "then": { "addLabels": ["a"] } } ] }""", "/policies/0/when/draft: type" },
        { """{ "labels": { "frontend": "blue" } }""", "/labels/frontend: pattern" },
        { """{ "reviewers": { "strategy": "fastest" } }""", "/reviewers/strategy: enum" },
        { """{ "reviewers": { "count": 0 } }""", "/reviewers/count: minimum" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void Schema_rejects_a_mistake_at_its_path(string json, string error)
    {
        using var instance = JsonDocument.Parse(json);

        var result = Schema.Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.False(result.IsValid);
        Assert.Equal([error], Errors(result));
    }

    // Built once: the schema's $id may be registered only once per registry.
    private static readonly Lazy<JsonSchema> BuiltSchema = new(() => JsonSchema.FromText(BotConfigSchema.Generate()));

    private static JsonSchema Schema => BuiltSchema.Value;

    /// <summary>Each failing location with the keyword that failed there ("false" for a property no schema allows).</summary>
    private static List<string> Errors(EvaluationResults result) =>
        [.. (result.Details is { Count: > 0 } details ? details : [result])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Keys.Select(keyword => $"{d.InstanceLocation}: {(keyword.Length == 0 ? "false" : keyword)}"))
            .Distinct()];

    [Fact]
    public void Root_config_validates_and_uses_every_feature()
    {
        var path = Path.Combine(PolicyTestKit.RepositoryRoot, "bot.config.json");

        var result = PolicyConfigLoader.LoadFile(path);

        Assert.True(result.IsValid, result.IsValid ? "" : result.Describe(path));
        var config = result.Config!;
        Assert.Equal("./bot.config.schema.json", config.Source.Schema);
        Assert.Equal(["frontend", "docs-only", "feature", "hotfix", "api"], config.Policies.Select(p => p.Name));
        Assert.Equal(("#1f75cb", "#6699cc", "#0e8a16"), (config.LabelColors["frontend"], config.LabelColors["backend"], config.LabelColors["docs"]));
        Assert.Equal(["size::XS", "size::S", "size::M", "size::L", "size::XL"], config.SizeLabels!.AllLabels);
        Assert.Equal([10, 100, 500, 1000], config.SizeLabels.Thresholds.Select(t => t.MaxLines));
        Assert.Equal("needs-rebase", config.NeedsRebaseLabel);
        var reviewers = config.Reviewers;
        Assert.Equal((2, true, ReviewerStrategy.LeastLoaded, true, true), (reviewers.Count, reviewers.CodeOwners, reviewers.Strategy, reviewers.SkipBusy, reviewers.SkipDrafts));
        Assert.Equal(["release-bot"], reviewers.Exclude);
        Assert.True(config.SummaryComment);
        Assert.False(config.DryRun);
        Assert.Equal(new Uri("https://gitlab.example.com"), config.GitLabUrl);
    }
}
