namespace GitLabMrBot.FunctionalTests.Cli;

public sealed class UninstallCommandTests : IAsyncLifetime
{
    private CliHarness _cli = null!;

    public async Task InitializeAsync() => _cli = await CliHarness.StartAsync();

    public async Task DisposeAsync() => await _cli.DisposeAsync();

    [Fact]
    public async Task Uninstall_removes_exactly_the_group_hook_with_that_url()
    {
        await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);
        var other = _cli.GitLab.AddHook(_cli.Group, new Uri("https://ci.example.com/hook"), "ci");
        var elsewhere = _cli.GitLab.AddHook(_cli.GitLab.AddGroup("other"), new Uri(CliHarness.HookUrl), "x");

        var run = await _cli.UninstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal([other.Id, elsewhere.Id], _cli.GitLab.GetHooks().Select(h => h.Id));
        Assert.Contains("1 removed", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uninstall_on_GitLab_Free_removes_the_project_hooks_in_every_project_and_leaves_other_hooks()
    {
        _cli.GitLab.GroupHooksAvailable = false;
        _cli.Set("GitLab:PerPage", "2");
        var projects = Enumerable.Range(0, 5).Select(i => _cli.GitLab.AddProject($"acme/sub{i % 2}/p{i}")).ToList();
        await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);
        var other = _cli.GitLab.AddHook(projects[2], new Uri("https://ci.example.com/hook"));

        var run = await _cli.UninstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(_cli.HooksFor());
        Assert.Equal([other.Id], _cli.GitLab.GetHooks().Select(h => h.Id));
        Assert.Equal(5, _cli.GitLab.Writes.Count(w => w.Method == "DELETE"));
    }

    [Fact]
    public async Task Uninstall_without_a_matching_hook_changes_nothing_and_says_so()
    {
        _cli.GitLab.AddHook(_cli.Group, new Uri("https://ci.example.com/hook"));

        var run = await _cli.UninstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Nothing to remove", run.Output, StringComparison.Ordinal);
        Assert.Empty(_cli.GitLab.Writes);
        Assert.Single(_cli.GitLab.GetHooks());
    }

    [Fact]
    public async Task Uninstall_dry_run_removes_nothing()
    {
        await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);
        _cli.GitLab.ClearRequests();

        var run = await _cli.UninstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--dry-run");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("would remove webhook", run.Output, StringComparison.Ordinal);
        Assert.Empty(_cli.GitLab.Writes);
        Assert.Single(_cli.HooksFor());
    }
}
