using GitLabMrBot.Configuration;
using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.Cli;

public sealed class InstallCommandTests : IAsyncLifetime
{
    private CliHarness _cli = null!;

    public async Task InitializeAsync() => _cli = await CliHarness.StartAsync();

    public async Task DisposeAsync() => await _cli.DisposeAsync();

    [Fact]
    public async Task Install_creates_the_group_hook_with_the_bots_events_and_prints_the_generated_secret_once()
    {
        _cli.GitLab.AddProject("acme/app");

        var run = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.Equal(0, run.ExitCode);
        var hook = Assert.Single(_cli.HooksFor());
        Assert.Equal("acme", hook.GroupPath);
        Assert.Equal(new HookEvents(Push: true, MergeRequests: true, Notes: true), hook.Events);
        Assert.True(hook.EnableSslVerification);
        var secret = run.ExportedSecret;
        Assert.NotNull(secret);
        Assert.Matches("^[0-9a-f]{64}$", secret);
        Assert.Equal(secret, hook.Token);
        Assert.Single(run.Lines, l => l.Contains(secret, StringComparison.Ordinal));
        Assert.Equal(["POST /groups/1/hooks"], _cli.GitLab.Writes.Select(w => $"{w.Method} {w.Path}"));
    }

    [Fact]
    public async Task Install_with_a_secret_sets_that_token_and_does_not_print_it()
    {
        var run = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl + "/", "--secret", "my-own-secret");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("my-own-secret", Assert.Single(_cli.HooksFor()).Token);
        Assert.DoesNotContain("my-own-secret", run.Output, StringComparison.Ordinal);
        Assert.Null(run.ExportedSecret);
    }

    [Fact]
    public async Task A_second_install_changes_nothing_and_says_so()
    {
        var first = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);
        _cli.GitLab.ClearRequests();

        var second = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, second.ExitCode);
        Assert.Empty(_cli.GitLab.Writes);
        Assert.Contains("Nothing to change", second.Output, StringComparison.Ordinal);
        Assert.Null(second.ExportedSecret);
        Assert.Equal(first.ExportedSecret, Assert.Single(_cli.HooksFor()).Token);
    }

    [Fact]
    public async Task An_existing_hook_with_that_url_but_missing_events_is_updated_in_place_keeping_its_token()
    {
        var existing = _cli.GitLab.AddHook(_cli.Group, new Uri(CliHarness.HookUrl), "old-token", new HookEvents(Push: true, MergeRequests: false, Notes: false), enableSslVerification: false);
        var other = _cli.GitLab.AddHook(_cli.Group, new Uri("https://ci.example.com/hook"), "ci", new HookEvents(Push: true, MergeRequests: false, Notes: false));

        var run = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.Equal(0, run.ExitCode);
        var hook = Assert.Single(_cli.HooksFor());
        Assert.Equal(existing.Id, hook.Id);
        Assert.Equal(HookEvents.All, hook.Events);
        Assert.True(hook.EnableSslVerification);
        Assert.Equal("old-token", hook.Token);
        var write = Assert.Single(_cli.GitLab.Writes);
        Assert.Equal($"PUT /groups/1/hooks/{existing.Id}", $"{write.Method} {write.Path}");
        Assert.DoesNotContain(write.Parameters, p => p.Key == "token");
        Assert.Contains("merge request events off", run.Output, StringComparison.Ordinal);
        Assert.Null(run.ExportedSecret);
        Assert.Equal(new HookEvents(Push: true, MergeRequests: false, Notes: false), _cli.GitLab.GetHooks().Single(h => h.Id == other.Id).Events);
    }

    [Fact]
    public async Task Dry_run_writes_nothing_and_says_what_it_would_do()
    {
        _cli.GitLab.AddHook(_cli.Group, new Uri(CliHarness.HookUrl), "t", new HookEvents(Push: true, MergeRequests: true, Notes: false));

        var run = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--dry-run");

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(_cli.GitLab.Writes);
        Assert.Contains("would update webhook", run.Output, StringComparison.Ordinal);
        Assert.Contains("comment events off", run.Output, StringComparison.Ordinal);
        Assert.Equal(new HookEvents(Push: true, MergeRequests: true, Notes: false), Assert.Single(_cli.HooksFor()).Events);
    }

    [Fact]
    public async Task Dry_run_on_GitLab_Free_writes_nothing()
    {
        _cli.GitLab.GroupHooksAvailable = false;
        _cli.GitLab.AddProject("acme/app");
        _cli.GitLab.AddProject("acme/sub/lib");

        var run = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--dry-run");

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(_cli.GitLab.Writes);
        Assert.Empty(_cli.GitLab.GetHooks());
        Assert.Equal(2, run.Lines.Count(l => l.Contains("would create the webhook", StringComparison.Ordinal)));
        Assert.Null(run.ExportedSecret);
    }

    [Fact]
    public async Task Without_group_hooks_it_installs_a_project_hook_on_every_project_of_the_group_and_its_subgroups_across_pages()
    {
        _cli.GitLab.GroupHooksAvailable = false;
        _cli.Set("GitLab:PerPage", "10");
        var projects = Enumerable.Range(1, 25)
            .Select(i => _cli.GitLab.AddProject(i % 3 == 0 ? $"acme/team/p{i}" : i % 3 == 1 ? $"acme/p{i}" : $"acme/team/deep/p{i}"))
            .ToList();
        var outsider = _cli.GitLab.AddProject("other/app");

        var run = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Group webhooks are not available", run.Output, StringComparison.Ordinal);
        var hooks = _cli.HooksFor();
        Assert.Equal(projects.Select(p => p.PathWithNamespace).Order(StringComparer.Ordinal), hooks.Select(h => h.ProjectPath!).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(hooks, h => h.ProjectPath == outsider.PathWithNamespace);
        Assert.All(hooks, h => Assert.Equal(HookEvents.All, h.Events));
        var secret = run.ExportedSecret;
        Assert.NotNull(secret);
        Assert.All(hooks, h => Assert.Equal(secret, h.Token));
        var pages = _cli.GitLab.Requests.Where(r => r.Path == "/groups/1/projects").Select(r => r.Query).ToList();
        Assert.Equal(3, pages.Count);
        Assert.All(pages, q => Assert.Contains("include_subgroups=true", q, StringComparison.Ordinal));
        Assert.Contains(pages, q => q.Contains("page=3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_install_on_GitLab_Free_changes_nothing()
    {
        _cli.GitLab.GroupHooksAvailable = false;
        _cli.Set("GitLab:PerPage", "2");
        for (var i = 0; i < 5; i++)
        {
            _cli.GitLab.AddProject($"acme/sub/p{i}");
        }

        var first = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);
        _cli.GitLab.ClearRequests();
        var second = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, second.ExitCode);
        Assert.Equal(5, _cli.HooksFor().Count);
        Assert.Empty(_cli.GitLab.Writes);
        Assert.Contains("Nothing to change: 5 webhooks already installed", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_GitLab_Free_a_new_project_needs_the_secret_the_others_have()
    {
        _cli.GitLab.GroupHooksAvailable = false;
        _cli.GitLab.AddProject("acme/app");
        var first = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--secret", "shared-secret");
        _cli.GitLab.AddProject("acme/new");
        _cli.GitLab.ClearRequests();

        var refused = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);
        var writesWhenRefused = _cli.GitLab.Writes.Count;
        var withSecret = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--secret", "shared-secret");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal(0, writesWhenRefused);
        Assert.Contains("--secret \"$GITLAB_WEBHOOK_SECRET\"", refused.Output, StringComparison.Ordinal);
        Assert.Equal(0, withSecret.ExitCode);
        Assert.Equal(2, _cli.HooksFor().Count);
        Assert.All(_cli.HooksFor(), h => Assert.Equal("shared-secret", h.Token));
    }

    [Fact]
    public async Task A_project_the_user_cannot_administer_is_reported_and_the_others_still_get_their_hook()
    {
        _cli.GitLab.GroupHooksAvailable = false;
        var developer = _cli.GitLab.AddUser("dev");
        _cli.GitLab.AddMember(_cli.GitLab.AddProject("acme/app"), developer, AccessLevel.Maintainer);
        _cli.GitLab.AddProject("acme/locked");
        _cli.Set(BotSettings.GitLabTokenKey, developer.Token);

        var run = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("acme/app", Assert.Single(_cli.HooksFor()).ProjectPath);
        Assert.Contains(run.Lines, l => l.StartsWith("✗ project acme/locked", StringComparison.Ordinal) && l.Contains("403", StringComparison.Ordinal));
        Assert.Contains("1 created", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_gitlab_settings_it_names_what_is_missing_but_not_the_webhook_secret()
    {
        _cli.Set(BotSettings.GitLabUrlKey, null);
        _cli.Set(BotSettings.GitLabTokenKey, null);
        _cli.Set(BotSettings.WebhookSecretKey, null);
        _cli.Set(BotSettings.ConfigPathKey, Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}.json"));

        var run = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("GITLAB_URL is not set", run.Output, StringComparison.Ordinal);
        Assert.Contains("GITLAB_TOKEN is not set", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("GITLAB_WEBHOOK_SECRET", run.Output, StringComparison.Ordinal);
        Assert.Empty(_cli.GitLab.Requests);
    }

    [Theory]
    [InlineData(new[] { "--url", CliHarness.PublicUrl }, "--group is required")]
    [InlineData(new[] { "--group", "acme" }, "--url is required")]
    [InlineData(new[] { "--group", "acme", "--url", "mrbot.example.com" }, "public http(s) URL")]
    [InlineData(new[] { "--group", "acme", "--url", CliHarness.PublicUrl, "--secret", "a,b" }, "without spaces or commas")]
    [InlineData(new[] { "--group", "acme", "--url", CliHarness.PublicUrl, "--dryrun" }, "unknown option '--dryrun'")]
    public async Task Bad_arguments_get_a_clear_message_and_nothing_is_called(string[] args, string message)
    {
        var run = await _cli.InstallAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Output, StringComparison.Ordinal);
        Assert.Empty(_cli.GitLab.Requests);
    }

    [Fact]
    public async Task An_unknown_group_fails_with_its_fix()
    {
        var run = await _cli.InstallAsync("--group", "nope/missing", "--url", CliHarness.PublicUrl);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Group 'nope/missing' was not found", run.Output, StringComparison.Ordinal);
        Assert.Contains("fix:", run.Output, StringComparison.Ordinal);
        Assert.Empty(_cli.GitLab.Writes);
        Assert.Contains(_cli.GitLab.Requests, r => r.Path == "/groups/nope%2Fmissing");
    }
}
