using System.Globalization;
using System.Text;
using GitLabMrBot.Configuration;
using GitLabMrBot.Events;
using GitLabMrBot.Inbox;
using GitLabMrBot.Policies;
using GitLabMrBot.Processing.Reconciliation;
using GitLabMrBot.TestGitLab;

namespace GitLabMrBot.Cli.Demo;

/// <summary>
/// What the bot did to each demo merge request, as GitLab shows it, and whether that is what the policy file says.
/// The expectations come from the loaded config, never from label names written here, so the demo keeps working when
/// someone edits <c>bot.config.json</c>:
/// <list type="bullet">
/// <item>settled: the pure <see cref="PolicyEngine"/> on the MR as GitLab now has it wants no label added or removed
/// and no comment posted (whatever the rules want is there, nothing they do not want is);</item>
/// <item>with <c>summaryComment</c> the bot's summary note is there; with <c>sizeLabels</c> exactly one size label;</item>
/// <item>the conflicting MR carries <c>needsRebase.label</c> when one is configured;</item>
/// <item>with <c>reviewers.codeOwners</c> an MR touching owned files has one of its owners (other than its author) as a reviewer;</item>
/// <item>no delivery failed for good.</item>
/// </list>
/// </summary>
internal sealed class DemoReport
{
    private readonly List<Entry> _entries;

    private DemoReport(List<Entry> entries, List<string> failures)
    {
        _entries = entries;
        Failures = failures;
    }

    /// <summary>Each way the outcome differs from the policy file, one sentence each; empty when it is all as configured.</summary>
    public IReadOnlyList<string> Failures { get; }

    public static async Task<DemoReport> CreateAsync(
        IServiceProvider services, TestGitLabServer gitLab, DemoWorld world, IReadOnlyList<DemoScenario> scenarios, CancellationToken cancellationToken)
    {
        var config = services.GetRequiredService<PolicyConfigProvider>().Current;
        var failures = new List<string>();
        if (config.DryRun)
        {
            failures.Add("dryRun is true in the policy file: the bot only logs what it would do; set it to false to see it act");
        }
        var dead = await services.GetRequiredService<IInboxStore>().ListAsync(DeliveryStatus.Dead, cancellationToken);
        if (dead.Count > 0)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{dead.Count} webhook deliveries failed for good (run the demo with --verbose to see why)"));
        }

        var entries = new List<Entry>();
        await using var scope = services.CreateAsyncScope();
        var reader = scope.ServiceProvider.GetRequiredService<MergeRequestSnapshotReader>();
        foreach (var scenario in scenarios)
        {
            var mr = gitLab.GetMergeRequest(scenario.MergeRequest);
            var read = await reader.ReadAsync(new MergeRequestRef(mr.ProjectId, mr.Iid), config, cancellationToken);
            var plan = PolicyEngine.Evaluate(read.Snapshot, config);
            var notes = gitLab.GetNotes(scenario.MergeRequest).Where(n => n.Author == world.Bot.Username && !n.System).ToList();
            var entry = new Entry(scenario, mr, plan, notes);
            entries.Add(entry);
            failures.AddRange(Check(entry, config).Select(problem => $"!{mr.Iid} ({scenario.Kind}): {problem}"));
        }
        return new DemoReport(entries, failures);
    }

    public async Task WriteAsync(TextWriter output)
    {
        foreach (var (scenario, mr, plan, notes) in _entries)
        {
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"!{mr.Iid}  {Show(mr.Title)}   [{scenario.Kind}]\n")
                .Append(CultureInfo.InvariantCulture, $"    {Show(mr.SourceBranch)} → {Show(mr.TargetBranch)} by @{mr.Author}, changes {string.Join(", ", scenario.Files)}\n")
                .Append(CultureInfo.InvariantCulture, $"    labels     {List(mr.Labels)}\n")
                .Append(CultureInfo.InvariantCulture, $"    reviewers  {List(mr.Reviewers.Select(r => "@" + r))}\n")
                .Append(CultureInfo.InvariantCulture, $"    assignees  {List(mr.Assignees.Select(a => "@" + a))}\n")
                .Append(CultureInfo.InvariantCulture, $"    rules      {List(plan.MatchedPolicies.Select(m => m.Policy).Concat(plan.Size is null ? [] : ["sizeLabels"]).Concat(plan.Applied.Any(a => a.Reason.Rule == Reason.NeedsRebaseRule) ? ["needsRebase"] : []))}\n");
            foreach (var note in notes)
            {
                var summary = note.Body.Contains(SummaryComment.Marker, StringComparison.Ordinal);
                text.Append(CultureInfo.InvariantCulture, $"    {(summary ? "summary note" : "comment")} by @{note.Author}:\n");
                foreach (var line in Readable(note.Body))
                {
                    text.Append(line.Length == 0 ? "      |" : "      | " + line).Append('\n');
                }
            }
            await output.WriteLineAsync(text.ToString());
        }
    }

    private static IEnumerable<string> Check(Entry entry, CompiledConfig config)
    {
        var (scenario, mr, plan, notes) = entry;
        if (plan.UntouchedBecause is { } why)
        {
            yield return $"the MR is not evaluated: {why}";
            yield break;
        }
        foreach (var add in plan.LabelsToAdd)
        {
            yield return $"label {add.Label} is missing ({add.Reason})";
        }
        foreach (var remove in plan.LabelsToRemove)
        {
            yield return $"label {remove.Label} should be gone ({remove.Reason})";
        }
        foreach (var comment in plan.Comments)
        {
            yield return $"the comment of policy {comment.Policy} was not posted";
        }
        if (config.SummaryComment && !config.DryRun && !notes.Any(n => n.Body.Contains(SummaryComment.Marker, StringComparison.Ordinal)))
        {
            yield return "no summary note, though summaryComment is on";
        }
        if (config.SizeLabels is { } size && mr.Labels.Count(size.IsSizeLabel) != 1)
        {
            yield return $"{mr.Labels.Count(size.IsSizeLabel)} size labels instead of one (sizeLabels.prefix {size.Prefix})";
        }
        if (scenario.Kind == DemoWorld.ConflictKind && config.NeedsRebaseLabel is { } rebase && !mr.Labels.Contains(rebase))
        {
            yield return $"label {rebase} (needsRebase.label) is missing though GitLab reports a conflict";
        }
        var owners = scenario.Files.SelectMany(DemoWorld.OwnersOf).Where(o => o != mr.Author).Distinct().ToList();
        if (config.Reviewers.CodeOwners && !config.DryRun && owners.Count > 0 && !mr.Reviewers.Any(owners.Contains))
        {
            yield return $"no code owner ({string.Join(", ", owners.Select(o => "@" + o))}) was asked to review, though reviewers.codeOwners is on";
        }
    }

    /// <summary>A note as a reader sees it: the bot's hidden marker comment left out, the rest as written.</summary>
    private static IEnumerable<string> Readable(string body) =>
        body.Split('\n')
            .Where(line => !(line.TrimStart().StartsWith("<!--", StringComparison.Ordinal) && line.TrimEnd().EndsWith("-->", StringComparison.Ordinal)))
            .Select(Show);

    private static string List(IEnumerable<string> values)
    {
        var list = values.Select(Show).ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }

    /// <summary>Text from GitLab on a terminal: control and formatting characters (escape sequences, bidi overrides) shown as U+FFFD.</summary>
    private static string Show(string value) =>
        string.Create(value.Length, value, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format ? '\uFFFD' : c;
            }
        });

    private sealed record Entry(DemoScenario Scenario, MergeRequestView MergeRequest, Plan Plan, IReadOnlyList<NoteView> Notes);
}
