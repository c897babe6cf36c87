using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GitLabMrBot.Configuration;
using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.FunctionalTests.Cli;

/// <summary>
/// Issue 10, items 7 and 8 from the command line: install and doctor against hooks as a real GitLab keeps them
/// (a URL change without the token clears the token; internal notes need <c>confidential_note_events</c>).
/// </summary>
public sealed class RealGitLabHookTests : IAsyncLifetime
{
    private CliHarness _cli = null!;

    public async Task InitializeAsync() => _cli = await CliHarness.StartAsync();

    public async Task DisposeAsync() => await _cli.DisposeAsync();

    /// <summary>
    /// A group hook made through the API, so the URL is stored exactly as typed (a <see cref="Uri"/> would lower-case
    /// the host), with the events an older install left: comments and internal notes off.
    /// </summary>
    private async Task<int> SeedHookAsync(string url, string token, bool noteEvents = false, bool? confidentialNoteEvents = null)
    {
        using var api = new HttpClient { BaseAddress = _cli.GitLab.ApiUrl };
        api.DefaultRequestHeaders.Add("PRIVATE-TOKEN", _cli.Operator.Token);
        var response = await api.PostAsJsonAsync($"groups/{_cli.Group.Id}/hooks", new
        {
            url,
            token,
            push_events = true,
            merge_requests_events = true,
            note_events = noteEvents,
            confidential_note_events = confidentialNoteEvents,
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (int)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!;
    }

    private HookView Hook(int id) => _cli.GitLab.GetHooks().Single(h => h.Id == id);

    // ---- item 7: install keeps the token ----

    [Theory]
    [InlineData(CliHarness.HookUrl + "/")]
    [InlineData("https://MRBOT.example.com/webhooks/gitlab")]
    public async Task Item7_install_without_the_secret_never_moves_a_hook_to_a_new_url_and_so_never_clears_its_token(string storedUrl)
    {
        var id = await SeedHookAsync(storedUrl, "old-token");
        _cli.GitLab.ClearRequests();

        var run = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.Equal("old-token", Hook(id).Token);
        Assert.Equal(storedUrl, Hook(id).Url);
        Assert.Empty(_cli.GitLab.Writes);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"webhook {id}", run.Output, StringComparison.Ordinal);
        Assert.Contains(storedUrl, run.Output, StringComparison.Ordinal);
        Assert.Contains("--secret", run.Output, StringComparison.Ordinal);
        Assert.Single(_cli.GitLab.GetHooks());
    }

    [Fact]
    public async Task Item7_install_with_the_secret_moves_a_hook_to_the_exact_url_and_sends_the_token_with_the_new_url()
    {
        var id = await SeedHookAsync(CliHarness.HookUrl + "/", "old-token");
        _cli.GitLab.ClearRequests();

        var run = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--secret", CliHarness.ServeSecret);

        Assert.Equal(0, run.ExitCode);
        var hook = Assert.Single(_cli.GitLab.GetHooks());
        Assert.Equal((id, CliHarness.HookUrl, CliHarness.ServeSecret), (hook.Id, hook.Url, hook.Token));
        var write = Assert.Single(_cli.GitLab.Writes);
        Assert.Equal("PUT", write.Method);
        Assert.Contains(write.Parameters, p => p.Key == "token");
        Assert.Contains(write.Parameters, p => p.Key == "url" && p.Value == CliHarness.HookUrl);
    }

    [Fact]
    public async Task Item7_doctor_flags_a_hook_whose_url_differs_from_the_bots_only_in_form()
    {
        var id = await SeedHookAsync(CliHarness.HookUrl + "/", "old-token", noteEvents: true, confidentialNoteEvents: true);

        var run = await _cli.DoctorAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.Lines, l => l.StartsWith("✗ webhook", StringComparison.Ordinal));
        Assert.Contains($"webhook {id}", line, StringComparison.Ordinal);
        Assert.Contains(CliHarness.HookUrl + "/", line, StringComparison.Ordinal);
        Assert.Contains("--secret", run.Output, StringComparison.Ordinal);
    }

    // ---- item 8: internal notes ----

    [Fact]
    public async Task Item8_install_turns_on_internal_note_events_on_a_new_hook_and_on_an_old_one()
    {
        var project = _cli.GitLab.AddProject("acme/app");
        _cli.GitLab.GroupHooksAvailable = false;
        var other = _cli.GitLab.AddProject("acme/other");
        var old = _cli.GitLab.AddHook(other, new Uri(CliHarness.HookUrl), "kept-token", new HookEvents(ConfidentialNotes: null));

        var run = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl, "--secret", "kept-token");

        Assert.Equal(0, run.ExitCode);
        Assert.All(_cli.HooksFor(), h => Assert.Equal(HookEvents.All, h.Events));
        Assert.Equal([project.PathWithNamespace, other.PathWithNamespace], _cli.HooksFor().Select(h => h.ProjectPath!).Order(StringComparer.Ordinal));
        Assert.Equal("kept-token", Hook(old.Id).Token);
        Assert.Contains("internal note events off", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item8_install_updates_an_old_hook_without_the_secret_since_its_url_stays_the_same()
    {
        var id = await SeedHookAsync(CliHarness.HookUrl, "old-token", noteEvents: true);
        _cli.GitLab.ClearRequests();

        var run = await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal((HookEvents.All, "old-token"), (Hook(id).Events, Hook(id).Token));
        var write = Assert.Single(_cli.GitLab.Writes);
        Assert.Contains(write.Parameters, p => p.Key == "confidential_note_events" && p.Value == "true");
    }

    [Fact]
    public async Task Item8_doctor_flags_a_hook_without_internal_note_events()
    {
        var id = await SeedHookAsync(CliHarness.HookUrl, "old-token", noteEvents: true, confidentialNoteEvents: false);

        var run = await _cli.DoctorAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.Lines, l => l.StartsWith("✗ webhook", StringComparison.Ordinal));
        Assert.Contains($"webhook {id}", line, StringComparison.Ordinal);
        Assert.Contains("internal note events off", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item8_doctor_passes_the_hook_install_made()
    {
        _cli.GitLab.AddProject("acme/app");
        Assert.Equal(0, (await _cli.InstallAsync("--group", "acme", "--url", CliHarness.PublicUrl)).ExitCode);
        _cli.Set(BotSettings.WebhookSecretKey, CliHarness.ServeSecret);

        var run = await _cli.DoctorAsync("--group", "acme", "--url", CliHarness.PublicUrl);

        Assert.Contains(run.Lines, l => l.StartsWith("✓ webhook", StringComparison.Ordinal) && l.Contains("internal", StringComparison.Ordinal));
    }
}
