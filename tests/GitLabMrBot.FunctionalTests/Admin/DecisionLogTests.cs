using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using GitLabMrBot.Admin;
using GitLabMrBot.Cli;
using GitLabMrBot.Configuration;
using GitLabMrBot.FunctionalTests.EndToEnd;

namespace GitLabMrBot.FunctionalTests.Admin;

/// <summary>Issue 13 item 5: every evaluation leaves a record, read back over HTTP and with <c>mrbot explain</c>.</summary>
public sealed class DecisionLogTests
{
    private const string AdminSecret = "admin-token-for-decision-tests";

    private static readonly Dictionary<string, string?> CssAndDocs = new()
    {
        ["web/app.css"] = "body { color: red; }\n",
        ["docs/x.md"] = "# X\n",
    };

    [Fact]
    public async Task Item5_an_evaluation_is_recorded_with_its_trigger_changes_reasons_and_GitLabs_answers()
    {
        await using var env = await BotWithGitLab.StartAsync(settings: new Dictionary<string, string?> { [AdminToken.Key] = AdminSecret });

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: CssAndDocs);
        await env.WaitForQuietAsync();

        env.Bot.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminSecret);
        using var response = await env.Bot.Client.GetAsync($"/api/merge-requests/{mr.ProjectId}/{mr.Iid}/decisions");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var records = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var first = records.EnumerateArray().Last();
        Assert.Equal("changed", first.GetProperty("outcome").GetString());
        Assert.Equal("acme/app", first.GetProperty("projectPath").GetString());
        Assert.Equal("Merge Request Hook", first.GetProperty("triggers")[0].GetProperty("event").GetString());
        var changes = first.GetProperty("changes").EnumerateArray().Select(c => $"{c.GetProperty("kind").GetString()} {c.GetProperty("what").GetString()}: {c.GetProperty("why").GetString()}").ToList();
        Assert.Contains(changes, c => c.StartsWith("label+ frontend: frontend:", StringComparison.Ordinal));
        Assert.Contains(changes, c => c.StartsWith("label+ size::XS: sizeLabels:", StringComparison.Ordinal));
        var writes = first.GetProperty("writes").EnumerateArray().Select(w => $"{w.GetProperty("what").GetString()} -> {w.GetProperty("answer").GetString()}").ToList();
        Assert.Contains(writes, w => w.StartsWith("PUT merge request: add labels frontend, size::XS -> 200 OK: labels now [", StringComparison.Ordinal));
        Assert.Contains(writes, w => w.StartsWith("summary note -> 201 Created: note ", StringComparison.Ordinal));
        Assert.True(first.GetProperty("durationMs").GetDouble() > 0);

        // The same record from the store, by the project's path, as a person reads it.
        var explain = await ExplainAsync(env, "acme/app!" + mr.Iid);
        Assert.Equal(0, explain.Exit);
        Assert.Contains($"acme/app!{mr.Iid} (project {mr.ProjectId})", explain.Output, StringComparison.Ordinal);
        Assert.Contains("changed in ", explain.Output, StringComparison.Ordinal);
        Assert.Contains("(Merge Request Hook)", explain.Output, StringComparison.Ordinal);
        Assert.Contains("label+ frontend: frontend:", explain.Output, StringComparison.Ordinal);
        Assert.Contains("-> 200 OK: labels now [", explain.Output, StringComparison.Ordinal);
        var byId = await ExplainAsync(env, $"{mr.ProjectId}!{mr.Iid}", "--json");
        Assert.Equal(records.GetArrayLength(), JsonDocument.Parse(byId.Output).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Item5_a_failed_evaluation_is_recorded_with_GitLabs_error_answer()
    {
        await using var env = await BotWithGitLab.StartAsync(settings: new Dictionary<string, string?> { ["Inbox:MaxAttempts"] = "1" });
        // Every label PUT fails, after the reads: the record says which write failed and what GitLab answered.
        env.GitLab.InjectFault("PUT", "/projects/:id/merge_requests/:merge_request_iid", TestGitLab.Fault.ServerError(), times: 100);

        var mr = env.GitLab.OpenMergeRequest(env.Project, env.Alice, "Style the app", "styles", files: CssAndDocs);
        await Inbox.Eventually.HoldsAsync(async () => (await env.Bot.Store.ListAsync(GitLabMrBot.Inbox.DeliveryStatus.Dead, CancellationToken.None)).Count > 0, "a dead letter");

        var explain = await ExplainAsync(env, "acme/app!" + mr.Iid);
        Assert.Contains("failed in ", explain.Output, StringComparison.Ordinal);
        Assert.Contains("error", explain.Output, StringComparison.Ordinal);
        Assert.Contains("PUT merge request: add labels frontend, size::XS -> 500 InternalServerError", explain.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Item5_explain_says_so_for_an_MR_without_records_and_refuses_a_malformed_target()
    {
        await using var env = await BotWithGitLab.StartAsync();

        var none = await ExplainAsync(env, "123!4");
        var bad = await ExplainAsync(env, "acme/app#4");

        Assert.Equal(0, none.Exit);
        Assert.Contains("no evaluation in the decision log", none.Output, StringComparison.Ordinal);
        Assert.Equal(CommandLine.UsageError, bad.Exit);
    }

    private static async Task<(int Exit, string Output)> ExplainAsync(BotWithGitLab env, params string[] args)
    {
        var settings = new Dictionary<string, string?>
        {
            [BotSettings.DatabaseKey] = env.DatabasePath,
            [BotSettings.GitLabUrlKey] = env.GitLab.BaseUrl.ToString(),
            [BotSettings.GitLabTokenKey] = env.BotUser.Token,
        };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CommandLine.RunAsync(["explain", .. args], output, error, name => settings.GetValueOrDefault(name));
        return (exit, output.ToString() + error);
    }
}
