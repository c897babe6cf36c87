using GitLabMrBot.Cli;

namespace GitLabMrBot.UnitTests.Policies;

public sealed class CliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("mrbot-cli-").FullName;

    private static string RootConfig => Path.Combine(PolicyTestKit.RepositoryRoot, "bot.config.json");

    private static string MergeRequestPayload => Path.Combine(PolicyTestKit.RepositoryRoot, "tests", "Payloads", "merge_request.json");

    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        // No environment: the verbs must work without GITLAB_TOKEN and friends.
        var code = await CommandLine.RunAsync(args, output, error, _ => null);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Validate_a_valid_config_exits_0()
    {
        var (code, output, error) = await Run("validate", "--config", RootConfig);

        Assert.Equal(0, code);
        Assert.Contains("is valid: 5 policies", output);
        Assert.Empty(error);
    }

    [Fact]
    public async Task Validate_prints_every_error_with_path_and_line_and_exits_1()
    {
        var path = Path.Combine(_directory, "bad.json");
        await File.WriteAllTextAsync(path, """
            {
              "policies": [
                { "name": "a", "when": { "title": "[" }, "then": { "addLabels": ["x"] } },
                { "name": "b", "when": { "filesChanged": { "min": 3, "max": 1 } }, "then": { "addLabels": ["y"] } }
              ],
              "sumaryComment": true
            }
            """);

        var (code, _, error) = await Run("validate", "--config", path);

        Assert.Equal(1, code);
        Assert.Contains("has 3 errors", error);
        Assert.Contains("$.policies[0].when.title (line 3): invalid regular expression", error);
        Assert.Contains("$.policies[1].when.filesChanged (line 4): min (3) must not be greater than max (1)", error);
        Assert.Contains("$.sumaryComment (line 6): unknown property \"sumaryComment\": did you mean \"summaryComment\"?", error);
    }

    [Fact]
    public async Task Validate_with_a_bad_option_is_a_usage_error()
    {
        var (code, _, error) = await Run("validate", "--confg", "x");

        Assert.Equal(2, code);
        Assert.Contains("usage: validate", error);
    }

    [Fact]
    public async Task Simulate_prints_the_plan_for_a_merge_request_payload()
    {
        var (code, output, error) = await Run("simulate", "--event", MergeRequestPayload, "--config", RootConfig,
            "--changed-file", "web/app.css:30:5", "--changed-file", "docs/x.md:2:0");

        Assert.True(code == 0, error);
        Assert.Contains("Plan for merge request !1 \"MS-Viewport\"", output);
        Assert.Contains("+ frontend  (frontend: changed file web/app.css matches web/**)", output);
        Assert.Contains("+ size::S  (sizeLabels: 37 lines changed (at most 100))", output);
        Assert.Contains("frontend #1f75cb", output);
        Assert.Contains("<!-- gitlab-mr-bot:summary -->", output);
    }

    [Fact]
    public async Task Simulate_renders_policy_comments_and_reviewer_candidates()
    {
        var payload = Path.Combine(_directory, "hotfix.json");
        var text = (await File.ReadAllTextAsync(MergeRequestPayload))
            .Replace("\"source_branch\": \"ms-viewport\"", "\"source_branch\": \"hotfix/login\"", StringComparison.Ordinal)
            .Replace("\"target_branch\": \"master\"", "\"target_branch\": \"release/2.0\"", StringComparison.Ordinal);
        await File.WriteAllTextAsync(payload, text);

        var (code, output, _) = await Run("simulate", "--event", payload, "--config", RootConfig, "--changed-file", "src/api/orders.cs");

        Assert.Equal(0, code);
        Assert.Contains("+ hotfix  (hotfix: source branch hotfix/login matches hotfix/*; target branch release/2.0 matches release/*)", output);
        Assert.Contains("Hotfix into `release/2.0`: cherry-pick it to main too.", output);
        Assert.Contains("api: request 1 reviewer(s) from carol, dave, erin", output);
    }

    [Fact]
    public async Task Simulate_without_an_event_is_a_usage_error()
    {
        var (code, _, error) = await Run("simulate", "--config", RootConfig);

        Assert.Equal(2, code);
        Assert.Contains("--event FILE is required", error);
    }

    [Fact]
    public async Task Simulate_of_a_non_mr_event_says_so()
    {
        var push = Path.Combine(PolicyTestKit.RepositoryRoot, "tests", "Payloads", "push.json");

        var (code, _, error) = await Run("simulate", "--event", push, "--config", RootConfig);

        Assert.Equal(1, code);
        Assert.Contains("object_kind 'push' is not a merge request or note event", error);
    }

    [Fact]
    public async Task Simulate_reads_a_note_on_a_merge_request()
    {
        var note = Path.Combine(PolicyTestKit.RepositoryRoot, "tests", "Payloads", "note_mr.json");

        var (code, output, _) = await Run("simulate", "--event", note, "--config", RootConfig, "--changed-file", "README.md");

        Assert.Equal(0, code);
        Assert.Contains("+ docs  (docs-only: the only changed file README.md matches docs/**, **/*.md)", output);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
