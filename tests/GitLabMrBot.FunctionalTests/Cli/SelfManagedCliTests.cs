using GitLabMrBot.Cli;
using GitLabMrBot.Configuration;
using GitLabMrBot.FunctionalTests.Inbox;
using GitLabMrBot.FunctionalTests.Infrastructure;
using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.Cli;

/// <summary>
/// Issue 10, item 9 from the command line: an OAuth token sent as <c>Authorization: Bearer</c>, GitLab behind an
/// internal CA, and GitLab under a relative URL root.
/// </summary>
public sealed class SelfManagedCliTests
{
    private const string Group = "acme";

    [Fact]
    public async Task Item9_bearer_token_type_sends_an_oauth_token_as_authorization_bearer()
    {
        await using var cli = await CliHarness.StartAsync();
        cli.GitLab.AddProject("acme/app");
        cli.Set(BotSettings.GitLabTokenKey, cli.GitLab.CreateOAuthToken(cli.Operator));
        cli.Set("GitLab:TokenType", "bearer");

        var doctor = await cli.DoctorAsync("--group", Group, "--url", CliHarness.PublicUrl);
        var install = await cli.InstallAsync("--group", Group, "--url", CliHarness.PublicUrl);

        Assert.Contains(doctor.Lines, l => l.StartsWith("✓ token: valid for user @ops", StringComparison.Ordinal));
        Assert.Equal(0, install.ExitCode);
        Assert.Single(cli.HooksFor());
        Assert.All(cli.GitLab.Requests, r => Assert.False(r.Headers.ContainsKey("PRIVATE-TOKEN"), $"{r.Method} {r.Path} sent PRIVATE-TOKEN"));
        Assert.All(cli.GitLab.Requests, r => Assert.StartsWith("Bearer ", r.Headers["Authorization"], StringComparison.Ordinal));
    }

    [Fact]
    public async Task Item9_the_default_token_type_sends_private_token_and_an_unknown_one_is_refused()
    {
        await using var cli = await CliHarness.StartAsync();

        var doctor = await cli.DoctorAsync();
        cli.Set("GitLab:TokenType", "oauth2");
        var refused = await cli.DoctorAsync();

        Assert.Contains(doctor.Lines, l => l.StartsWith("✓ token", StringComparison.Ordinal));
        Assert.All(cli.GitLab.Requests, r => Assert.False(r.Headers.ContainsKey("Authorization")));
        Assert.Equal(CliExit.Usage, refused.ExitCode);
        Assert.Contains("GitLab:TokenType", refused.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item9_doctor_reports_an_untrusted_gitlab_certificate_with_the_fix()
    {
        using var certificate = TestCertificates.SelfSignedForLoopback();
        await using var cli = await CliHarness.StartAsync(new TestGitLabServer { Certificate = certificate });

        var run = await cli.DoctorAsync("--group", Group, "--url", CliHarness.PublicUrl);

        Assert.Equal(1, run.ExitCode);
        var problem = Assert.Single(run.Lines, l => l.StartsWith("✗ gitlab", StringComparison.Ordinal));
        Assert.Contains("certificate", problem, StringComparison.Ordinal);
        var fix = run.Lines[Array.IndexOf(run.Lines.ToArray(), problem) + 1];
        Assert.Contains("GitLab__CaBundle", fix, StringComparison.Ordinal);
        Assert.Empty(cli.GitLab.Requests);
    }

    [Fact]
    public async Task Item9_with_the_ca_bundle_doctor_and_install_talk_to_gitlab_over_https()
    {
        using var certificate = TestCertificates.SelfSignedForLoopback();
        using var directory = new TempDirectory();
        await using var cli = await CliHarness.StartAsync(new TestGitLabServer { Certificate = certificate });
        cli.GitLab.AddProject("acme/app");
        cli.Set("GitLab:CaBundle", TestCertificates.WritePem(certificate, directory.File("internal-ca.pem")));

        var install = await cli.InstallAsync("--group", Group, "--url", CliHarness.PublicUrl);
        var doctor = await cli.DoctorAsync("--group", Group, "--url", CliHarness.PublicUrl);

        Assert.Equal(0, install.ExitCode);
        Assert.Contains(doctor.Lines, l => l.StartsWith("✓ gitlab", StringComparison.Ordinal));
        Assert.Contains(doctor.Lines, l => l.StartsWith("✓ token", StringComparison.Ordinal));
        Assert.Contains(doctor.Lines, l => l.StartsWith("✓ webhook", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Item9_a_ca_bundle_that_holds_no_certificate_is_a_settings_error()
    {
        using var directory = new TempDirectory();
        await using var cli = await CliHarness.StartAsync();
        var notPem = directory.File("ca.pem");
        await File.WriteAllTextAsync(notPem, "not a certificate\n");

        cli.Set("GitLab:CaBundle", directory.File("missing.pem"));
        var missing = await cli.DoctorAsync();
        cli.Set("GitLab:CaBundle", notPem);
        var empty = await cli.DoctorAsync();

        Assert.Equal(CliExit.Usage, missing.ExitCode);
        Assert.Contains("GitLab:CaBundle", missing.Output, StringComparison.Ordinal);
        Assert.Contains("missing.pem", missing.Output, StringComparison.Ordinal);
        Assert.Equal(CliExit.Usage, empty.ExitCode);
        Assert.Contains("no PEM certificate", empty.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item9_install_and_doctor_work_under_a_relative_url_root()
    {
        await using var cli = await CliHarness.StartAsync(new TestGitLabServer { PathBase = "/gitlab" });
        cli.GitLab.AddProject("acme/app");
        Assert.EndsWith("/gitlab/", cli.GitLab.BaseUrl.AbsoluteUri, StringComparison.Ordinal);

        var install = await cli.InstallAsync("--group", Group, "--url", CliHarness.PublicUrl);
        cli.Set(BotSettings.GitLabUrlKey, cli.GitLab.BaseUrl.AbsoluteUri.TrimEnd('/'));
        var doctor = await cli.DoctorAsync("--group", Group, "--url", CliHarness.PublicUrl);

        Assert.Equal(0, install.ExitCode);
        Assert.Single(cli.HooksFor());
        Assert.Equal(0, doctor.ExitCode);
        Assert.NotEmpty(cli.GitLab.Requests);
        Assert.All(cli.GitLab.Requests, r => Assert.NotEqual(404, r.Status));
    }
}
