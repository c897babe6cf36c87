using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using GitLabMrBot.GitLab;
using GitLabMrBot.Inbox;
using GitLabMrBot.Storage;

namespace GitLabMrBot.Cli;

/// <summary>
/// <c>explain GROUP/PROJECT!IID</c> (or <c>PROJECTID!IID</c>): the MR's decision log from the store, newest first: what
/// triggered each evaluation, what it changed and why, what GitLab answered. The project's path is looked up in the log;
/// a path the log never saw is asked of GitLab (<c>GET /projects/:path</c>, with GITLAB_URL and GITLAB_TOKEN).
/// </summary>
internal static class ExplainCommand
{
    private const string Description = $"""
        Why the bot did what it did on a merge request: its decision log, newest first, read from the store (MRBOT_DATABASE
        or --database). Each record says what triggered the evaluation (the deliveries and their events), what the plan
        changed and why, what it deliberately did not do, each write and GitLab's answer, how long it took and how it ended.
        The project is a path (looked up in the log, else asked of GitLab) or its numeric id.

        Examples:
          {CommandLine.ProgramName} explain acme/platform!42
          {CommandLine.ProgramName} explain 1234!42 --json
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create(CliContext context)
    {
        var target = new Argument<string>("merge-request") { Description = "GROUP/PROJECT!IID or PROJECTID!IID" };
        var json = new Option<bool>("--json") { Description = "JSON for scripts (as /api/merge-requests/{projectId}/{iid}/decisions answers)" };
        var limit = new Option<int>("--limit") { Description = "Records shown at most", DefaultValueFactory = _ => 20, HelpName = "N" };
        var command = new Command("explain", Description) { target, json, limit, SettingOption.Database() };
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetValue(target)!, result.GetValue(json), result.GetValue(limit), context.Settings(result),
            result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(
        string target, bool json, int limit, IConfiguration settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!TryParse(target, out var project, out var iid))
        {
            await error.WriteLineAsync($"explain: '{target}' is not GROUP/PROJECT!IID or PROJECTID!IID (e.g. acme/platform!42).");
            return CliExit.Usage;
        }
        await using var store = await CliStore.OpenAsync(settings, error);
        if (store is null)
        {
            return CliExit.Usage;
        }
        try
        {
            var projectId = long.TryParse(project, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                ? id
                : await store.Decisions.FindProjectIdAsync(project, cancellationToken) ?? await AskGitLabAsync(project, settings, error, cancellationToken);
            if (projectId is not { } known)
            {
                return CliExit.Failed;
            }
            var records = await store.Decisions.ListAsync(known, iid, Math.Max(1, limit), cancellationToken);
            await output.WriteAsync(json ? JsonSerializer.Serialize(records, Json) + Environment.NewLine : Render(project, known, iid, records));
            return CliExit.Ok;
        }
        catch (InboxUnavailableException e)
        {
            await error.WriteLineAsync(e.Message);
            return CliExit.Failed;
        }
    }

    /// <summary><c>group/sub/project!12</c> or <c>1234!12</c>.</summary>
    internal static bool TryParse(string target, out string project, out long iid)
    {
        var bang = target.LastIndexOf('!');
        project = bang > 0 ? target[..bang].Trim().Trim('/') : "";
        iid = 0;
        return project.Length > 0 && long.TryParse(target[(bang + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out iid) && iid > 0;
    }

    /// <summary>The record as a person reads it.</summary>
    internal static string Render(string project, long projectId, long iid, IReadOnlyList<DecisionRecord> records)
    {
        var text = new StringBuilder();
        var name = project == projectId.ToString(CultureInfo.InvariantCulture)
            ? (records.FirstOrDefault(r => r.ProjectPath is not null)?.ProjectPath ?? $"project {projectId}")
            : project;
        if (records.Count == 0)
        {
            return $"{name}!{iid}: no evaluation in the decision log (none yet, or older than its retention).{Environment.NewLine}";
        }
        text.Append(CultureInfo.InvariantCulture, $"{name}!{iid} (project {projectId}): {records.Count} evaluation{(records.Count == 1 ? "" : "s")}, newest first").AppendLine();
        foreach (var r in records)
        {
            text.AppendLine();
            text.Append(CultureInfo.InvariantCulture, $"{r.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z  {r.Outcome} in {r.DurationMs:0} ms").AppendLine();
            if (r.Detail is not null)
            {
                Line(text, r.Outcome == DecisionOutcomes.Failed ? "error" : "why", r.Detail);
            }
            Lines(text, "triggered by", r.Triggers.Select(t => $"delivery {t.DeliveryId} ({t.Event})"), "nothing recorded");
            Lines(text, "changes", r.Changes.Select(c => $"{c.Kind} {c.What}: {c.Why}"), "none wanted");
            Lines(text, "not done", r.NotDone, null);
            Lines(text, "GitLab", r.Writes.Select(w => $"{w.What} -> {w.Answer}"), "no writes");
        }
        return text.ToString();
    }

    private static void Lines(StringBuilder text, string label, IEnumerable<string> lines, string? none)
    {
        var list = lines.ToList();
        if (list.Count == 0)
        {
            if (none is not null)
            {
                Line(text, label, none);
            }
            return;
        }
        for (var i = 0; i < list.Count; i++)
        {
            Line(text, i == 0 ? label : "", list[i]);
        }
    }

    private static void Line(StringBuilder text, string label, string value) =>
        text.Append("  ").Append(label.PadRight(13)).Append(' ').AppendLine(value);

    private static async Task<long?> AskGitLabAsync(string project, IConfiguration configuration, TextWriter error, CancellationToken cancellationToken)
    {
        if (!CliGitLab.TryLoadSettings(configuration, out var settings, out _))
        {
            await error.WriteLineAsync($"explain: the decision log has no project {project}; to ask GitLab for its id, set GITLAB_URL and GITLAB_TOKEN (or give PROJECTID!IID).");
            return null;
        }
        await using var services = CliGitLab.CreateServices(settings, configuration, TimeProvider.System);
        try
        {
            var found = await services.GetRequiredService<IGitLabDirectory>().FindProjectAsync(project, cancellationToken);
            if (found is null)
            {
                await error.WriteLineAsync($"explain: GitLab has no project {project} that the bot's token can see.");
            }
            return found?.Id;
        }
        catch (GitLabApiException e)
        {
            await error.WriteLineAsync($"explain: the decision log has no project {project}, and GitLab could not be asked: {CliGitLab.Describe(e)}");
            return null;
        }
    }
}
