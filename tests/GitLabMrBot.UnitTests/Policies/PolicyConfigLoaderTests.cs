using GitLabMrBot.Configuration;

namespace GitLabMrBot.UnitTests.Policies;

public sealed class PolicyConfigLoaderTests
{
    private static IReadOnlyList<ConfigError> Errors(string json)
    {
        var result = PolicyConfigLoader.Load(json, "test.json");
        Assert.False(result.IsValid);
        return result.Errors;
    }

    [Fact]
    public void Several_distinct_errors_are_all_reported_with_paths_and_lines()
    {
        var errors = Errors("""
            {
              "policies": [
                { "name": "a", "when": { "title": "(unclosed" }, "then": { "addLabels": ["x"] } },
                { "name": "b",
                  "when": { "linesChanged": { "min": 50, "max": 10 } },
                  "then": { "addLabels": ["y"] } },
                { "name": "c", "when": { "changedFiles": ["src/**"] }, "then": { "addLabel": ["z"] } }
              ],
              "labels": { "x": "red" }
            }
            """);

        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e is { Path: "$.policies[0].when.title", Line: 3 } && e.Message.StartsWith("invalid regular expression", StringComparison.Ordinal));
        Assert.Contains(errors, e => e is { Path: "$.policies[1].when.linesChanged", Line: 5 } && e.Message.Contains("min (50) must not be greater than max (10)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e is { Path: "$.policies[2].then.addLabel", Line: 7 } && e.Message.Contains("did you mean \"addLabels\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e is { Path: "$.labels.x", Line: 9 } && e.Message.Contains("#RRGGBB", StringComparison.Ordinal));
        Assert.Equal("$.policies[0].when.title (line 3): " + errors[0].Message, errors[0].ToString());
    }

    [Fact]
    public void Unknown_property_is_an_error_not_ignored()
    {
        var errors = Errors("""{ "policies": [ { "name": "a", "when": { "changedFile": ["web/**"] }, "then": { "addLabels": ["x"] } } ] }""");

        var error = Assert.Single(errors);
        Assert.Equal("$.policies[0].when.changedFile", error.Path);
        Assert.Equal(1, error.Line);
        Assert.Contains("unknown property \"changedFile\": did you mean \"changedFiles\"?", error.Message);
    }

    [Fact]
    public void Unknown_top_level_section_is_an_error()
    {
        var error = Assert.Single(Errors("""{ "polices": [] }"""));

        Assert.Equal("$.polices", error.Path);
        Assert.Contains("did you mean \"policies\"", error.Message);
    }

    [Fact]
    public void Parse_error_reports_its_line()
    {
        var error = Assert.Single(Errors("{\n  \"dryRun\": true\n  \"summaryComment\": false\n}"));

        Assert.Equal(3, error.Line);
        Assert.StartsWith("invalid JSON", error.Message);
    }

    [Fact]
    public void Comments_and_trailing_commas_are_allowed()
    {
        var result = PolicyConfigLoader.Load("""
            {
              // why this policy exists
              "policies": [
                { "name": "a", "when": { "draft": true, }, "then": { "addLabels": ["draft"], }, },
              ],
            }
            """, "test.json");

        Assert.True(result.IsValid, result.IsValid ? "" : result.Describe("test.json"));
        Assert.Single(result.Config!.Policies);
    }

    [Theory]
    [InlineData("""{ "dryRun": "yes" }""", "$.dryRun", "expected true or false")]
    [InlineData("""{ "policies": {} }""", "$.policies", "expected an array, found an object")]
    [InlineData("""{ "labels": { "x": "#12345" } }""", "$.labels.x", "#RRGGBB")]
    [InlineData("""{ "labels": { "a,b": "#123456" } }""", "$.labels['a,b']", "comma")]
    [InlineData("""{ "sizeLabels": { "thresholds": { "S": 100, "M": 100 }, "largest": "L" } }""", "$.sizeLabels.thresholds.M", "thresholds must increase")]
    [InlineData("""{ "sizeLabels": { "thresholds": { "S": 1 } } }""", "$.sizeLabels", "missing required property \"largest\"")]
    [InlineData("""{ "reviewers": { "strategy": "fastest" } }""", "$.reviewers.strategy", "least-loaded, round-robin, random")]
    [InlineData("""{ "reviewers": { "count": 0 } }""", "$.reviewers.count", "at least 1")]
    [InlineData("""{ "needsRebase": { "label": "" } }""", "$.needsRebase.label", "must not be empty")]
    [InlineData("""{ "gitlab": { "url": "gitlab.example.com" } }""", "$.gitlab.url", "http(s) URL")]
    [InlineData("""{ "policies": [ { "name": "a", "when": {}, "then": { "addLabels": ["x"] } } ] }""", "$.policies[0].when", "at least one field")]
    [InlineData("""{ "policies": [ { "name": "a", "when": { "any": [] }, "then": { "addLabels": ["x"] } } ] }""", "$.policies[0].when.any", "at least one condition")]
    [InlineData("""{ "policies": [ { "name": "a", "when": { "not": {} }, "then": { "addLabels": ["x"] } } ] }""", "$.policies[0].when.not", "at least one field")]
    [InlineData("""{ "policies": [ { "name": "a", "when": { "sourceBranch": "a/***" }, "then": { "addLabels": ["x"] } } ] }""", "$.policies[0].when.sourceBranch", "invalid glob")]
    [InlineData("""{ "policies": [ { "name": "a", "when": { "changedFiles": ["[ab"] }, "then": { "addLabels": ["x"] } } ] }""", "$.policies[0].when.changedFiles[0]", "invalid glob")]
    [InlineData("""{ "policies": [ { "name": "a", "when": { "filesChanged": { "min": -1 } }, "then": { "addLabels": ["x"] } } ] }""", "$.policies[0].when.filesChanged.min", "negative")]
    [InlineData("""{ "policies": [ { "name": "a", "when": { "draft": true }, "then": { "addLabels": [" x"] } } ] }""", "$.policies[0].then.addLabels[0]", "spaces")]
    [InlineData("""{ "policies": [ { "name": "a", "when": { "draft": true }, "then": { "comment": "{% if %}" } } ] }""", "$.policies[0].then.comment", "invalid Liquid template")]
    [InlineData("""{ "policies": [ { "name": "a", "when": { "draft": true }, "then": { "reviewers": { "users": ["x"], "count": 2 } } } ] }""", "$.policies[0].then.reviewers.count", "more than the 1 users")]
    [InlineData("""{ "policies": [ { "name": "a", "when": { "draft": true }, "then": { "assignees": "me" } } ] }""", "$.policies[0].then.assignees", "\"author\"")]
    [InlineData("""{ "policies": [ { "when": { "draft": true }, "then": { "addLabels": ["x"] } } ] }""", "$.policies[0]", "missing required property \"name\"")]
    [InlineData("""{ "dryRun": true, "dryRun": false }""", "$.dryRun", "duplicate property")]
    [InlineData("""{ "dryRun": null }""", "$.dryRun", "must not be null")]
    [InlineData("""{ "dryrun": null }""", "$.dryrun", "did you mean \"dryRun\"")]
    [InlineData("""{ "labels": { "x": "#123456", "x": "#654321" } }""", "$.labels.x", "duplicate key")]
    [InlineData("""{ "reviewers": { "count": 1.5 } }""", "$.reviewers.count", "expected a whole number")]
    [InlineData("""{ "reviewers": { "count": 3.0 } }""", "$.reviewers.count", "expected a whole number")]
    [InlineData("""{ "sizeLabels": { "thresholds": { "S": 99999999999 }, "largest": "L" } }""", "$.sizeLabels.thresholds.S", "expected a whole number")]
    [InlineData("""{ "policies": [ { "name": "a", "when": { "draft": true }, "then": { "assignees": 5 } } ] }""", "$.policies[0].then.assignees", "found a number")]
    [InlineData("""{ "policies": [ { "name": "a", "when": { "draft": true }, "then": { "assignees": { "user": ["x"] } } } ] }""", "$.policies[0].then.assignees.user", "did you mean \"users\"")]
    [InlineData("""{ "policies": [ { "name": "a", "when": { "any": [ { "not": { "titel": "x" } } ] }, "then": { "addLabels": ["x"] } } ] }""", "$.policies[0].when.any[0].not.titel", "did you mean \"title\"")]
    public void Each_semantic_check_reports_at_its_path(string json, string path, string message)
    {
        var errors = Errors(json);

        Assert.Contains(errors, e => e.Path == path && e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_bad_item_keeps_the_indexes_of_the_others()
    {
        var errors = Errors("""{ "policies": [ { "name": "a", "when": { "draft": true }, "then": { "assignees": { "users": ["bob", 1, "not a user"] } } } ] }""");

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Path == "$.policies[0].then.assignees.users[1]" && e.Message == "expected a string, found a number");
        Assert.Contains(errors, e => e.Path == "$.policies[0].then.assignees.users[2]" && e.Message.Contains("is not a username", StringComparison.Ordinal));
    }

    [Fact]
    public void Shape_errors_come_in_document_order_an_objects_missing_properties_after_its_contents()
    {
        var errors = Errors("""{ "policies": [ { "then": { "addLabel": ["x"] }, "when": { "draft": "no" } } ], "dryRun": 1 }""");

        Assert.Equal(
            [
                "$.policies[0].then.addLabel",
                "$.policies[0].when.draft",
                "$.policies[0]",
                "$.dryRun",
            ],
            errors.Select(e => e.Path));
        Assert.Contains("missing required property \"name\"", errors[2].Message);
    }

    [Fact]
    public void Duplicate_policy_names_are_an_error()
    {
        var errors = Errors("""
            { "policies": [
              { "name": "docs", "when": { "draft": true }, "then": { "addLabels": ["a"] } },
              { "name": "Docs", "when": { "draft": true }, "then": { "addLabels": ["b"] } }
            ] }
            """);

        var error = Assert.Single(errors);
        Assert.Equal("$.policies[1].name", error.Path);
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void Assignees_accept_author_or_a_user_list()
    {
        var config = PolicyTestKit.Compile("""
            { "policies": [
              { "name": "a", "when": { "draft": true }, "then": { "assignees": "author" } },
              { "name": "b", "when": { "draft": true }, "then": { "assignees": { "users": ["bob"] } } }
            ] }
            """);

        Assert.True(config.Policies[0].Then.Assignees!.Author);
        Assert.Equal(["bob"], config.Policies[1].Then.Assignees!.Users);
    }

    [Fact]
    public void Missing_file_says_how_to_point_at_one()
    {
        var result = PolicyConfigLoader.LoadFile(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "bot.config.json"));

        var error = Assert.Single(result.Errors);
        Assert.Contains("not found", error.Message);
        Assert.Contains("MRBOT_CONFIG", error.Message);
    }
}
