using System.Text;
using GitLabMrBot.Configuration;
using GitLabMrBot.Policies;

namespace GitLabMrBot.UnitTests.Policies;

/// <summary>Issue 14 items 2, 3 and 6: a project file merged into the group's config, within what the group allows.</summary>
public sealed class ProjectConfigCompilerTests
{
    private const string Group = """
        {
          "labels": { "backend": "#6699cc" },
          "policies": [
            { "name": "api", "when": { "changedFiles": ["src/api/**"] }, "then": { "addLabels": ["backend"] } },
            { "name": "docs", "when": { "changedFiles": ["docs/**"] }, "then": { "addLabels": ["docs"] } }
          ],
          "reviewers": { "count": 2, "strategy": "round-robin" },
          "projects": { "allow": ["policies", "labels", "reviewers"], "locked": ["api"] }
        }
        """;

    private static ProjectConfigResult Compile(string project, string group = Group) =>
        ProjectConfigCompiler.Compile(PolicyTestKit.Compile(group), Encoding.UTF8.GetBytes(project), "group/app:.gitlab/mrbot.json");

    [Fact]
    public void Item2_project_policies_are_added_after_the_groups_and_say_where_they_come_from()
    {
        var result = Compile("""
            { "policies": [ { "name": "mobile", "when": { "changedFiles": ["ios/**"] }, "then": { "addLabels": ["mobile"] } } ] }
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(["api", "docs", "mobile"], result.Effective!.Policies.Select(p => p.Name));
        Assert.Equal([PolicyOrigin.Group, PolicyOrigin.Group, PolicyOrigin.Project], result.Effective.Policies.Select(p => p.Origin));
    }

    [Fact]
    public void Item2_a_locked_group_policy_cannot_be_replaced_by_a_project_policy_of_the_same_name()
    {
        var result = Compile("""
            {
              "policies": [
                { "name": "api", "when": { "title": "never" }, "then": { "addLabels": ["x"] } }
              ]
            }
            """);

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.policies[0].name", error.Path);
        Assert.Equal(3, error.Line);
        Assert.Contains("locked", error.Message, StringComparison.Ordinal);
        Assert.False(result.IsValid);
    }

    [Fact]
    public void Item2_an_unlocked_group_policy_is_replaced_in_place_by_the_project_policy_of_the_same_name()
    {
        var result = Compile("""{ "policies": [ { "name": "docs", "when": { "changedFiles": ["manual/**"] }, "then": { "addLabels": ["docs"] } } ] }""");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(["api", "docs"], result.Effective!.Policies.Select(p => p.Name));
        Assert.Equal(PolicyOrigin.Project, result.Effective.Policies[1].Origin);
    }

    [Fact]
    public void Item2_allowed_settings_override_the_groups_field_by_field_and_labels_merge()
    {
        var result = Compile("""{ "labels": { "mobile": "#112233" }, "reviewers": { "count": 1 } }""");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(1, result.Effective!.Reviewers.Count);
        Assert.Equal(ReviewerStrategy.RoundRobin, result.Effective.Reviewers.Strategy);
        Assert.Equal("#6699cc", result.Effective.LabelColors["backend"]);
        Assert.Equal("#112233", result.Effective.LabelColors["mobile"]);
    }

    [Fact]
    public void Item2_a_section_the_group_does_not_allow_is_an_error_naming_it_and_the_allow_list()
    {
        var result = Compile("""
            {
              "sizeLabels": { "thresholds": { "S": 10 }, "largest": "L" }
            }
            """);

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.sizeLabels", error.Path);
        Assert.Equal(2, error.Line);
        Assert.Contains("projects.allow", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Item2_without_a_projects_section_project_files_are_off()
    {
        var group = PolicyTestKit.Compile("""{ "policies": [] }""");

        Assert.False(group.Projects.Enabled);
    }

    [Fact]
    public void Item2_a_locked_name_that_is_no_group_policy_is_a_group_config_error()
    {
        var result = PolicyConfigLoader.Load("""{ "policies": [], "projects": { "locked": ["nope"] } }""", "g.json");

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.projects.locked[0]", error.Path);
    }

    [Theory]
    [InlineData("gitlab", """{ "url": "https://evil.example" }""")]
    [InlineData("dryRun", "true")]
    [InlineData("sweep", """{ "groups": ["acme"] }""")]
    [InlineData("projects", """{ "allow": ["policies"] }""")]
    public void Item3_bot_wide_settings_are_refused_by_name(string field, string value)
    {
        var result = Compile($$"""{ "{{field}}": {{value}} }""");

        var error = Assert.Single(result.Errors);
        Assert.Equal("$." + field, error.Path);
        Assert.Contains($"\"{field}\" is bot-wide", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Item3_limits_on_policies_regex_length_template_and_file_size()
    {
        var policies = string.Join(",", Enumerable.Range(0, ProjectConfigCompiler.MaxPolicies + 1)
            .Select(i => $$"""{ "name": "p{{i}}", "when": { "draft": true }, "then": { "addLabels": ["x"] } }"""));
        Assert.Contains(Compile($$"""{ "policies": [{{policies}}] }""").Errors, e => e.Path == "$.policies" && e.Message.Contains("at most 50", StringComparison.Ordinal));

        var regex = new string('a', ProjectConfigCompiler.MaxRegexLength + 1);
        var longRegex = Compile($$"""{ "policies": [ { "name": "r", "when": { "any": [ { "title": "{{regex}}" } ] }, "then": { "addLabels": ["x"] } } ] }""");
        Assert.Contains(longRegex.Errors, e => e.Path == "$.policies[0].when.any[0].title" && e.Message.Contains("500", StringComparison.Ordinal));

        var template = new string('t', ProjectConfigCompiler.MaxTemplateBytes + 1);
        var longTemplate = Compile($$"""{ "policies": [ { "name": "c", "when": { "draft": true }, "then": { "comment": "{{template}}" } } ] }""");
        Assert.Contains(longTemplate.Errors, e => e.Path == "$.policies[0].then.comment" && e.Message.Contains("4096", StringComparison.Ordinal));

        var huge = Compile("{ \"policies\": [] }" + new string(' ', ProjectConfigCompiler.MaxFileBytes));
        Assert.Contains("256 KB", Assert.Single(huge.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Item3_errors_from_the_shared_checks_keep_the_project_files_lines()
    {
        var result = Compile("""
            {
              "policies": [
                { "name": "bad", "when": { "title": "(" }, "then": { "addLabels": ["x"] } }
              ]
            }
            """);

        var error = Assert.Single(result.Errors);
        Assert.Equal(3, error.Line);
        Assert.Equal("$.policies[0].when.title", error.Path);
    }
}
