using System.CommandLine;
using System.Text;
using System.Text.Json;
using GitLabMrBot.Configuration;
using GitLabMrBot.Policies;

namespace GitLabMrBot.Cli;

/// <summary>
/// <c>simulate --event FILE [--changed-file PATH[:ADDED:DELETED]]… [--author USERNAME] [--config PATH]</c>:
/// prints the plan the bot would make for one MR or note webhook payload, each decision with its reason. No network.
/// </summary>
internal static class SimulateCommand
{
    private const string Description = $"""
        Print the plan the bot would make for one Merge Request Hook or Note Hook payload, each decision with its
        reason. Nothing is read from GitLab: the changed files are given on the command line.

        Example:
          {CommandLine.ProgramName} simulate --event merge_request.json --changed-file web/app.css:30:5 --changed-file docs/x.md
        """;

    /// <summary>What to simulate: the payload file, the MR's changed files, who wrote it, and the config.</summary>
    public sealed record Request(string EventPath, IReadOnlyList<string> ChangedFiles, string? Author, string ConfigPath, string? ProjectConfigPath = null);

    public static Command Create(CliContext context)
    {
        var eventFile = new Option<string>("--event") { Description = "The webhook payload (JSON) to simulate", HelpName = "FILE", Required = true };
        var changedFiles = new Option<string[]>("--changed-file")
        {
            Description = "A file the merge request changes, with its added and deleted line counts; repeat for each file",
            HelpName = "PATH[:ADDED:DELETED]",
        };
        // A bad count is a usage error, reported before anything is read.
        changedFiles.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (!EventSnapshotReader.TryParseChangedFile(token.Value, out _, out var error))
                {
                    result.AddError(error!);
                }
            }
        });
        var author = new Option<string>("--author") { Description = "The author's username, for author conditions (the payload names the author only by id)", HelpName = "USERNAME" };
        var projectConfig = ProjectFileOption.Create("--project-config");
        var command = new Command("simulate", Description) { eventFile, changedFiles, author, SettingOption.Config(), projectConfig };
        command.SetAction(result => RunAsync(
            new Request(
                result.GetRequiredValue(eventFile),
                result.GetValue(changedFiles) ?? [],
                result.GetValue(author),
                ValidateCommand.ConfigPath(context.Settings(result)),
                result.GetValue(projectConfig)),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    public static async Task<int> RunAsync(Request request, TextWriter output, TextWriter error)
    {
        var configPath = request.ConfigPath;
        var loaded = PolicyConfigLoader.LoadFile(configPath);
        if (!loaded.IsValid)
        {
            await error.WriteAsync(loaded.Describe(configPath));
            return CommandLine.Invalid;
        }

        var config = loaded.Config;
        ProjectFileStatus? projectFile = null;
        if (request.ProjectConfigPath is { } projectPath)
        {
            if (await ProjectFileOption.LoadAsync(config, projectPath, configPath, error) is not { } merged)
            {
                return CommandLine.Invalid;
            }
            (config, projectFile) = merged;
        }

        var eventPath = request.EventPath;
        MergeRequestSnapshot snapshot;
        IReadOnlyList<string> notes;
        try
        {
            using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(eventPath), new JsonDocumentOptions { AllowTrailingCommas = true });
            var files = request.ChangedFiles.Select(EventSnapshotReader.ParseChangedFile).ToList();
            snapshot = EventSnapshotReader.Read(document.RootElement, files, request.Author, out notes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException)
        {
            await error.WriteLineAsync($"simulate: cannot read the event {eventPath}: {e.Message} (check --event: the path of a Merge Request Hook or Note Hook payload saved as JSON)");
            return CommandLine.Invalid;
        }

        var plan = PolicyEngine.Evaluate(snapshot, config) with { ProjectFile = projectFile };
        await output.WriteAsync(Describe(plan, snapshot, configPath, notes));
        return 0;
    }

    internal static string Describe(Plan plan, MergeRequestSnapshot snapshot, string configPath, IReadOnlyList<string> notes)
    {
        var text = new StringBuilder();
        text.Append($"Plan for merge request !{snapshot.Iid} \"{snapshot.Title}\" in project {snapshot.ProjectId} ({snapshot.SourceBranch} -> {snapshot.TargetBranch}), config {configPath}\n");
        foreach (var note in notes)
        {
            text.Append("note: ").Append(note).Append('\n');
        }
        if (plan.DryRun)
        {
            text.Append("dryRun is on: the bot would log this plan and write nothing.\n");
        }
        if (plan.UntouchedBecause is { } untouched)
        {
            text.Append("\nNothing to do: ").Append(untouched).Append('\n');
            return text.ToString();
        }

        Section(text, "Matched policies", plan.MatchedPolicies.Select(m => $"{m.Policy}: {m.Detail}"));
        Section(text, "Labels to add", plan.LabelsToAdd.Select(l => $"+ {l.Label}  ({l.Reason})"));
        Section(text, "Labels to remove", plan.LabelsToRemove.Select(l => $"- {l.Label}  ({l.Reason})"));
        Section(text, "Labels kept (already present)", plan.Applied.Where(a => a.AlreadyPresent).Select(a => $"= {a.Label}  ({a.Reason})"));
        Section(text, "Labels to create if the project lacks them", plan.LabelsToCreate.Select(l => $"{l.Name} {l.Color}"));
        if (plan.Size is { } size)
        {
            text.Append($"\nSize: {size.Label} ({size.Detail})\n");
        }
        Section(text, "Reviewers and assignees (chosen by the reconciler from GitLab's data; not simulated)",
            plan.MatchedPolicies.SelectMany(ReviewerLines));
        Section(text, "Comments to post", plan.Comments.Select(c => $"[{c.Policy}]\n    " + c.Body.Replace("\n", "\n    ", StringComparison.Ordinal)));
        Section(text, "Left as is", plan.Decisions.Select(d => d.Text));

        if (plan.SummaryComment && SummaryComment.HasContent(plan))
        {
            text.Append("\nSummary comment:\n").Append(SummaryComment.Render(plan));
        }
        return text.ToString();
    }

    private static IEnumerable<string> ReviewerLines(PolicyMatch match)
    {
        if (match.Then.Reviewers is { } reviewers)
        {
            yield return $"{match.Policy}: request {reviewers.Count?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "the configured number of"} reviewer(s) from {string.Join(", ", reviewers.Users)}";
        }
        if (match.Then.Assignees is { } assignees)
        {
            yield return $"{match.Policy}: assign {(assignees.Author ? "the author" : string.Join(", ", assignees.Users))} if nobody is assigned";
        }
    }

    private static void Section(StringBuilder text, string title, IEnumerable<string> lines)
    {
        var items = lines.ToList();
        text.Append('\n').Append(title).Append(':').Append('\n');
        if (items.Count == 0)
        {
            text.Append("  (none)\n");
        }
        foreach (var item in items)
        {
            text.Append("  ").Append(item).Append('\n');
        }
    }
}
