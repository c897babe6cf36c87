using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.Cli;

/// <summary>Issue 14 item 4: <c>doctor --project GROUP/PROJECT</c> checks the project's own policy file on its default branch.</summary>
public sealed class DoctorProjectFileTests : IAsyncLifetime
{
    private CliHarness _cli = null!;
    private GitLabProject _project = null!;

    public async Task InitializeAsync()
    {
        _cli = await CliHarness.StartAsync();
        _project = _cli.GitLab.AddProject("acme/app", files: new Dictionary<string, string> { ["README.md"] = "# app\n" });
        _cli.GitLab.AddMember(_project, _cli.Operator, AccessLevel.Maintainer);
        File.WriteAllText(_cli.ConfigPath, """
            { "policies": [ { "name": "frontend", "when": { "changedFiles": ["web/**"] }, "then": { "addLabels": ["frontend"] } } ],
              "projects": { "allow": ["policies"] } }
            """);
    }

    public async Task DisposeAsync() => await _cli.DisposeAsync();

    [Fact]
    public async Task Item4_doctor_reports_an_invalid_project_file_with_its_line_and_the_fix()
    {
        _cli.GitLab.Push(_cli.Operator, _project, "main", new Dictionary<string, string?>
        {
            [".gitlab/mrbot.json"] = "{\n  \"policies\": [\n    { \"name\": \"frontend\", \"when\": { \"draft\": true }, \"then\": { \"addLabels\": [\"x\"] } }\n  ]\n}\n",
        });

        var run = await _cli.DoctorAsync("--project", "acme/app");

        var line = Assert.Single(run.Lines, l => l.StartsWith("✗ project file:", StringComparison.Ordinal));
        Assert.Contains("acme/app:.gitlab/mrbot.json", line, StringComparison.Ordinal);
        Assert.Contains("(line 3)", line, StringComparison.Ordinal);
        Assert.Contains("validate --group", run.Output, StringComparison.Ordinal);
        Assert.Empty(_cli.GitLab.Writes);
    }

    [Fact]
    public async Task Item4_doctor_passes_a_valid_project_file_and_says_when_there_is_none()
    {
        var none = await _cli.DoctorAsync("--project", "acme/app");
        _cli.GitLab.Push(_cli.Operator, _project, "main", new Dictionary<string, string?>
        {
            [".mrbot.json"] = """{ "policies": [ { "name": "docs", "when": { "changedFiles": ["docs/**"] }, "then": { "addLabels": ["docs"] } } ] }""",
        });
        var valid = await _cli.DoctorAsync("--project", "acme/app");

        Assert.Contains(none.Lines, l => l.StartsWith("✓ project file: acme/app has no", StringComparison.Ordinal));
        Assert.Contains(valid.Lines, l => l.StartsWith("✓ project file: acme/app:.mrbot.json is valid: 2 policies (1 from the project)", StringComparison.Ordinal));
    }
}
