using GitLabMrBot.Configuration;
using GitLabMrBot.Storage.Sqlite;
using GitLabMrBot.TestGitLab;
using Microsoft.Extensions.Configuration;

namespace GitLabMrBot.FunctionalTests.Cli;

public sealed class DoctorCommandTests : IAsyncLifetime
{
    private CliHarness _cli = null!;

    public async Task InitializeAsync()
    {
        _cli = await CliHarness.StartAsync();
        _cli.GitLab.AddProject("acme/app");
        _cli.Set("MRBOT_PUBLIC_URL", CliHarness.PublicUrl);
        _cli.Set("MRBOT_GROUP", "acme");
    }

    public async Task DisposeAsync() => await _cli.DisposeAsync();

    [Fact]
    public async Task A_healthy_setup_passes_every_check()
    {
        await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--secret", CliHarness.ServeSecret);
        _cli.GitLab.ClearRequests();

        var run = await _cli.DoctorAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("✗", run.Output, StringComparison.Ordinal);
        foreach (var check in new[] { "settings", "gitlab", "token", "config", "store", "webhook" })
        {
            Assert.Contains(run.Lines, l => l.StartsWith($"✓ {check}:", StringComparison.Ordinal));
        }
        Assert.Contains("GitLab 18.0.0-ee", run.Output, StringComparison.Ordinal);
        Assert.Contains("user @ops", run.Output, StringComparison.Ordinal);
        Assert.Contains("scopes api", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(_cli.Operator.Token, run.Output, StringComparison.Ordinal);
        Assert.Empty(_cli.GitLab.Writes);
    }

    [Fact]
    public async Task An_existing_store_is_opened_and_pinged()
    {
        var database = Path.Combine(Path.GetDirectoryName(_cli.ConfigPath)!, "existing.db");
        await using (new SqliteInboxStore(database, TimeProvider.System))
        {
        }
        _cli.Set(BotSettings.DatabaseKey, database);
        await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--secret", CliHarness.ServeSecret);

        var run = await _cli.DoctorAsync();

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"✓ store: SQLite {database} answers", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_webhook_disabled_by_GitLab_fails_with_how_to_re_enable_it(bool temporarily)
    {
        await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--secret", CliHarness.ServeSecret);
        var hook = _cli.HooksFor().Single();
        _cli.GitLab.DisableHook(new GitLabHook(hook.Id, hook.Url), temporarily ? TimeSpan.FromMinutes(30) : null);

        var run = await _cli.DoctorAsync();

        Assert.Equal(1, run.ExitCode);
        var failure = Assert.Single(run.Lines, l => l.StartsWith("✗ webhook:", StringComparison.Ordinal));
        Assert.Contains(temporarily ? "temporarily disabled by GitLab" : "disabled by GitLab after repeated failed deliveries", failure, StringComparison.Ordinal);
        Assert.Contains($"/groups/1/hooks/{hook.Id}/test/merge_requests_events", FixAfter(run, failure), StringComparison.Ordinal);
        Assert.Contains("1 check failed", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_bots_developer_token_the_webhook_check_says_whose_token_can_read_webhooks()
    {
        await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--secret", CliHarness.ServeSecret);
        // The bot runs as a Developer of the group: GitLab shows webhooks to Owners (project hooks to Maintainers) only.
        var bot = _cli.GitLab.AddUser("mrbot", "MR Bot", bot: true);
        _cli.GitLab.AddMember(_cli.Group, bot, AccessLevel.Developer);
        _cli.Set(BotSettings.GitLabTokenKey, bot.Token);
        _cli.GitLab.ClearRequests();

        var run = await _cli.DoctorAsync();

        Assert.Equal(1, run.ExitCode);
        var failure = Assert.Single(run.Lines, l => l.StartsWith("✗ webhook:", StringComparison.Ordinal));
        Assert.Contains("could not be read", failure, StringComparison.Ordinal);
        var fix = FixAfter(run, failure);
        Assert.Contains("Owner role on the group", fix, StringComparison.Ordinal);
        Assert.Contains("run doctor with GITLAB_TOKEN of such a user", fix, StringComparison.Ordinal);
        Assert.Empty(_cli.GitLab.Writes);
    }

    [Fact]
    public async Task A_bad_token_fails_with_its_fix_and_is_never_printed()
    {
        await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--secret", CliHarness.ServeSecret);
        _cli.Set(BotSettings.GitLabTokenKey, "glpat-this-token-is-wrong");

        var run = await _cli.DoctorAsync();

        Assert.Equal(1, run.ExitCode);
        var failure = Assert.Single(run.Lines, l => l.StartsWith("✗ token:", StringComparison.Ordinal));
        Assert.Contains("401", failure, StringComparison.Ordinal);
        Assert.Contains("api scope", FixAfter(run, failure), StringComparison.Ordinal);
        Assert.Contains(run.Lines, l => l.StartsWith("✓ gitlab:", StringComparison.Ordinal));
        Assert.Contains(run.Lines, l => l.StartsWith("✗ webhook: not checked", StringComparison.Ordinal));
        Assert.DoesNotContain("glpat-this-token-is-wrong", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_without_the_api_scope_fails_and_names_its_user()
    {
        await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--secret", CliHarness.ServeSecret);
        _cli.Set(BotSettings.GitLabTokenKey, _cli.GitLab.CreateToken(_cli.Operator, "read_api"));

        var run = await _cli.DoctorAsync();

        Assert.Equal(1, run.ExitCode);
        var failure = Assert.Single(run.Lines, l => l.StartsWith("✗ token:", StringComparison.Ordinal));
        Assert.Contains("@ops", failure, StringComparison.Ordinal);
        Assert.Contains("lack api", failure, StringComparison.Ordinal);
        Assert.Contains(run.Lines, l => l.StartsWith("✓ webhook:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_invalid_config_fails_with_its_line_and_fix()
    {
        await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--secret", CliHarness.ServeSecret);
        await File.WriteAllTextAsync(_cli.ConfigPath, "{\n  \"labels\": {\n    \"frontend\": \"#1f75cb\",,\n}\n");

        var run = await _cli.DoctorAsync();

        Assert.Equal(1, run.ExitCode);
        var failure = Assert.Single(run.Lines, l => l.StartsWith("✗ config:", StringComparison.Ordinal));
        Assert.Contains("line 3", failure, StringComparison.Ordinal);
        Assert.Contains("validate --config", FixAfter(run, failure), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_config_that_is_valid_json_but_not_a_valid_policy_file_fails_like_validate()
    {
        await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--secret", CliHarness.ServeSecret);
        await File.WriteAllTextAsync(_cli.ConfigPath, "{\n  \"policies\": [\n    { \"name\": \"x\", \"when\": { \"colour\": \"red\" }, \"then\": { \"addLabels\": [\"a\"] } }\n  ]\n}\n");

        var run = await _cli.DoctorAsync();

        Assert.Equal(1, run.ExitCode);
        var failure = Assert.Single(run.Lines, l => l.StartsWith("✗ config:", StringComparison.Ordinal));
        Assert.Contains("colour", failure, StringComparison.Ordinal);
        Assert.Contains("line 3", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_config_check_is_a_seam_tests_can_fill()
    {
        await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--secret", CliHarness.ServeSecret);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [BotSettings.GitLabUrlKey] = _cli.GitLab.BaseUrl.ToString(),
            [BotSettings.GitLabTokenKey] = _cli.Operator.Token,
            [BotSettings.WebhookSecretKey] = CliHarness.ServeSecret,
            [BotSettings.ConfigPathKey] = _cli.ConfigPath,
            [BotSettings.DatabaseKey] = Path.Combine(Path.GetDirectoryName(_cli.ConfigPath)!, "seam.db"),
        }).Build();
        using var output = new StringWriter();

        var exit = await GitLabMrBot.Cli.DoctorCommand.RunAsync(new GitLabMrBot.Cli.DoctorCommand.Request("acme", CliHarness.PublicUrl), output, configuration, new FixedErrors("$.policies[0].when: unknown condition 'colour' (line 4)"));

        Assert.Equal(1, exit);
        Assert.Contains("unknown condition 'colour' (line 4)", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_hook_and_a_hook_missing_events_fail_with_the_install_command_as_fix()
    {
        var missing = await _cli.DoctorAsync();
        _cli.GitLab.AddHook(_cli.Group, new Uri(CliHarness.HookUrl), "t", new HookEvents(Push: true, MergeRequests: true, Notes: false));
        var wrongEvents = await _cli.DoctorAsync();

        Assert.Equal(1, missing.ExitCode);
        var noHook = Assert.Single(missing.Lines, l => l.StartsWith("✗ webhook:", StringComparison.Ordinal));
        Assert.Contains("has no webhook for https://mrbot.example.com/webhooks/gitlab", noHook, StringComparison.Ordinal);
        Assert.Contains("install --group acme --url https://mrbot.example.com", FixAfter(missing, noHook), StringComparison.Ordinal);
        Assert.Equal(1, wrongEvents.ExitCode);
        Assert.Contains(wrongEvents.Lines, l => l.StartsWith("✗ webhook:", StringComparison.Ordinal) && l.Contains("comment events off", StringComparison.Ordinal));
    }

    [Fact]
    public async Task On_GitLab_Free_it_checks_the_hook_of_every_project()
    {
        _cli.GitLab.GroupHooksAvailable = false;
        _cli.GitLab.AddProject("acme/sub/lib");
        await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--secret", CliHarness.ServeSecret);
        var healthy = await _cli.DoctorAsync();
        _cli.GitLab.AddProject("acme/sub/new");
        var oneMissing = await _cli.DoctorAsync();

        Assert.True(healthy.ExitCode == 0, healthy.ToString());
        Assert.Contains("2 webhooks for https://mrbot.example.com/webhooks/gitlab on the 2 projects of acme", healthy.Output, StringComparison.Ordinal);
        Assert.Equal(1, oneMissing.ExitCode);
        Assert.Contains("1 of 3 projects have no webhook for https://mrbot.example.com/webhooks/gitlab: acme/sub/new", oneMissing.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_GitLab_and_missing_settings_fail_with_their_fixes()
    {
        _cli.Set(BotSettings.GitLabUrlKey, "http://127.0.0.1:1");
        _cli.Set(BotSettings.WebhookSecretKey, null);
        // No retries (allowed by the options): the refused connection is reported at once.
        _cli.Set("GitLab:MaxRetryAttempts", "0");

        var run = await _cli.DoctorAsync();

        Assert.Equal(1, run.ExitCode);
        var settings = Assert.Single(run.Lines, l => l.StartsWith("✗ settings:", StringComparison.Ordinal));
        Assert.Contains("GITLAB_WEBHOOK_SECRET is not set", settings, StringComparison.Ordinal);
        Assert.Contains("export GITLAB_WEBHOOK_SECRET=", FixAfter(run, settings), StringComparison.Ordinal);
        var gitlab = Assert.Single(run.Lines, l => l.StartsWith("✗ gitlab:", StringComparison.Ordinal));
        Assert.Contains("did not answer", gitlab, StringComparison.Ordinal);
        Assert.Contains("GITLAB_URL", FixAfter(run, gitlab), StringComparison.Ordinal);
        Assert.Contains(run.Lines, l => l.StartsWith("✗ token: not checked", StringComparison.Ordinal));
        Assert.Contains(run.Lines, l => l.StartsWith("✗ webhook: not checked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invalid_GitLab_client_settings_are_reported_not_thrown()
    {
        _cli.Set("GitLab:PerPage", "500");

        var run = await _cli.DoctorAsync();

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("the GitLab client settings are invalid: PerPage", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_public_url_the_webhook_check_says_how_to_give_it()
    {
        _cli.Set("MRBOT_PUBLIC_URL", null);

        var run = await _cli.DoctorAsync();

        Assert.Equal(1, run.ExitCode);
        var failure = Assert.Single(run.Lines, l => l.StartsWith("✗ webhook:", StringComparison.Ordinal));
        Assert.Contains("MRBOT_PUBLIC_URL", FixAfter(run, failure), StringComparison.Ordinal);
    }

    private static string FixAfter(CliRun run, string failureLine)
    {
        var lines = run.Lines;
        var index = lines.ToList().IndexOf(failureLine);
        Assert.True(index >= 0 && index + 1 < lines.Count, run.ToString());
        Assert.StartsWith("fix:", lines[index + 1], StringComparison.Ordinal);
        return lines[index + 1];
    }

    private sealed class FixedErrors(params string[] errors) : GitLabMrBot.Cli.IConfigCheck
    {
        public IReadOnlyList<string> Check(string path) => errors;
    }
}
