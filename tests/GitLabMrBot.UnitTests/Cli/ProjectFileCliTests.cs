using GitLabMrBot.Cli;
using GitLabMrBot.UnitTests.Policies;

namespace GitLabMrBot.UnitTests.Cli;

/// <summary>Issue 14 item 6: <c>validate --group … --project …</c> and <c>simulate --project-config …</c>.</summary>
public sealed class ProjectFileCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("mrbot-project-cli-").FullName;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string Group => Write("bot.config.json", """
        {
          "policies": [ { "name": "frontend", "when": { "changedFiles": ["web/**"] }, "then": { "addLabels": ["frontend"] } } ],
          "projects": { "allow": ["policies"], "locked": ["frontend"] }
        }
        """);

    private string Project => Write("mrbot.json", """
        { "policies": [ { "name": "api", "when": { "changedFiles": ["src/api/**"] }, "then": { "addLabels": ["backend"] } } ] }
        """);

    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CommandLine.RunAsync(args, output, error, _ => null);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Item6_validate_with_a_group_and_a_project_file_prints_the_effective_config_with_each_policys_source()
    {
        var (code, output, error) = await Run("validate", "--group", Group, "--project", Project);

        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Contains("is valid: 2 policies", output, StringComparison.Ordinal);
        Assert.Contains("group policy frontend", output, StringComparison.Ordinal);
        Assert.Contains("project policy api", output, StringComparison.Ordinal);
        Assert.Contains("\"name\": \"api\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item6_validate_names_the_project_files_errors_with_their_lines_and_exits_1()
    {
        var project = Write("bad.json", """
            {
              "dryRun": true
            }
            """);

        var (code, _, error) = await Run("validate", "--config", Group, "--project", project);

        Assert.Equal(1, code);
        Assert.Contains(project, error, StringComparison.Ordinal);
        Assert.Contains("$.dryRun (line 2): \"dryRun\" is bot-wide", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item6_simulate_applies_the_project_file()
    {
        var payload = Path.Combine(PolicyTestKit.RepositoryRoot, "tests", "Payloads", "merge_request.json");

        var (code, output, error) = await Run("simulate", "--event", payload, "--config", Group, "--project-config", Project, "--changed-file", "src/api/orders.cs");

        Assert.True(code == 0, error);
        Assert.Contains("+ backend", output, StringComparison.Ordinal);
        Assert.Contains("project policy `api`", output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
