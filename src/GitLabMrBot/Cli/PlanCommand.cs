using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using GitLabMrBot.Configuration;
using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Inbox;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Reviewers;
using GitLabMrBot.Processing.Reconciliation;
using GitLabMrBot.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GitLabMrBot.Cli;

/// <summary>
/// <c>plan --group GROUP [--json]</c>: what the bot would do to every open MR of the group and its subgroups, before it
/// runs there. It reads GitLab as the reconciler does (<see cref="MergeRequestSnapshotReader"/>, <see cref="PolicyEngine"/>,
/// <see cref="PeopleReader"/>) and treats each MR as the sweep would (<see cref="ExistingMergeRequestRule"/>), but it has no
/// <see cref="PlanExecutor"/>: it only sends GETs, so a token of scope <c>read_api</c> is enough (docs/gitlab-behaviour.md).
/// </summary>
internal static class PlanCommand
{
    private const string Description = $"""
        What the bot would do to every open merge request of a group and its subgroups: one line per merge request with the
        labels it would add (+) and remove (-), the reviewers it would request, whether it would post or edit its summary
        note and which policy comments it would post; then the totals and the number of GitLab API calls. It only reads
        GitLab (a token of scope read_api is enough) and writes nothing anywhere. MRs opened before the installation are
        treated as sweep.existingMergeRequests says; with no store (--database) every MR counts as one, as on the first
        sweep. Progress goes to stderr.

        Examples:
          {CommandLine.ProgramName} plan --group acme
          {CommandLine.ProgramName} plan --group acme/platform --json > plan.json
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>How often, in merge requests, progress is reported on stderr.</summary>
    private const int ProgressEvery = 25;

    public static Command Create(CliContext context)
    {
        var group = new Option<string>("--group") { Description = "The group's full path (acme/platform) or id; its subgroups are included", HelpName = "GROUP", Required = true };
        var json = new Option<bool>("--json") { Description = "A JSON document for scripts (one object per merge request, then the totals)" };
        var database = SettingOption.Database();
        var command = new Command("plan", Description) { group, json, SettingOption.Config(), database };
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetRequiredValue(group), result.GetValue(json), context.Settings(result), result.GetValue(database) is not null,
            result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(
        string group, bool json, IConfiguration configuration, bool withStore, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        group = group.Trim().Trim('/');
        if (!CliGitLab.TryLoadSettings("plan", configuration, error, out var settings))
        {
            return CliExit.Usage;
        }
        var configPath = ValidateCommand.ConfigPath(configuration);
        var loaded = PolicyConfigLoader.LoadFile(configPath);
        if (!loaded.IsValid)
        {
            await error.WriteAsync(loaded.Describe(configPath));
            return CliExit.Usage;
        }

        CliStore? store = null;
        if (withStore && (store = await CliStore.OpenAsync(configuration, error)) is null)
        {
            return CliExit.Usage;
        }
        await using var opened = store;
        var calls = new ApiCallCounter();
        await using var services = CreateServices(settings, configuration, configPath, new ReadOnlyBotState(store?.BotState), calls);
        if (!CliGitLab.TryGetClient(services, "plan", error, out _))
        {
            return CliExit.Usage;
        }
        try
        {
            var document = await PlanAsync(group, loaded.Config, services, calls, withStore, error, cancellationToken);
            await output.WriteAsync(json ? JsonSerializer.Serialize(document, Json) + Environment.NewLine : Render(document, configPath));
            return CliExit.Ok;
        }
        catch (GitLabApiException e) when (CliGitLab.Unreachable(e, settings.GitLabUrl) is { } reason)
        {
            // Said as install, uninstall and doctor say it.
            await error.WriteLineAsync($"✗ cannot reach GitLab at {settings.GitLabUrl}: {reason}");
            await error.WriteLineAsync($"  fix: {CliGitLab.UnreachableFix}; `doctor` checks the whole setup.");
            return CliExit.Failed;
        }
        catch (GitLabApiException e)
        {
            await error.WriteLineAsync($"plan: {Explain(e, group)}");
            return CliExit.Failed;
        }
        catch (InboxUnavailableException e)
        {
            await error.WriteLineAsync($"plan: the store could not be read: {e.Message}");
            return CliExit.Failed;
        }
    }

    /// <summary>The reading half of the bot: its GitLab client, the reconciler's readers, and bot state that is never written back.</summary>
    private static ServiceProvider CreateServices(BotSettings settings, IConfiguration configuration, string configPath, ReadOnlyBotState state, ApiCallCounter calls)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(settings);
        // Every request sent, retries included: the number the closing line reports.
        services.ConfigureHttpClientDefaults(http => http.AddHttpMessageHandler(() => new CountingHandler(calls)));
        // A GitLab that does not answer is said within seconds, as by the other verbs.
        CliGitLab.AddCommandLineGitLab(services, configuration);
        services.AddMemoryCache(o => o.SizeLimit = 10_000);
        services.AddSingleton<IBotStateStore>(state);
        services.AddSingleton<MergeRequestSnapshotReader>();
        services.AddSingleton<PeopleDirectory>();
        services.AddSingleton<BranchHeads>();
        services.AddSingleton<CodeOwnersSource>();
        services.AddSingleton<PeopleStore>();
        services.AddSingleton<PeopleReader>();
        services.AddSingleton<ExistingMergeRequestState>();
        // Each project's own file on its default branch (when the group file's `projects` section lets projects have
        // one), merged as the bot merges it; the file is read once, never watched.
        services.AddSingleton(provider =>
        {
            var config = new PolicyConfigProvider(configPath, TimeProvider.System, provider.GetRequiredService<ILogger<PolicyConfigProvider>>(), new PolicyConfigProviderOptions { UseFileSystemWatcher = false });
            config.Start();
            return config;
        });
        services.AddSingleton<ProjectConfigMemory>();
        services.AddSingleton<ProjectConfigs>();
        return services.BuildServiceProvider();
    }

    private static async Task<PlanDocument> PlanAsync(
        string group, CompiledConfig config, IServiceProvider services, ApiCallCounter calls, bool withStore, TextWriter progress, CancellationToken cancellationToken)
    {
        var directory = services.GetRequiredService<IGitLabDirectory>();
        var snapshots = services.GetRequiredService<MergeRequestSnapshotReader>();
        var peopleReader = services.GetRequiredService<PeopleReader>();
        var existing = services.GetRequiredService<ExistingMergeRequestState>();

        // The token first: a refused one is said as such, not as a missing group.
        await directory.GetCurrentUserAsync(cancellationToken);
        var installedAt = await existing.InstalledAtAsync(cancellationToken);
        await progress.WriteLineAsync($"Listing the open merge requests of {group} and its subgroups…");
        var listed = await directory.ListGroupMergeRequestsAsync(group, new MergeRequestFilter { State = "opened" }, cancellationToken);
        await progress.WriteLineAsync($"{listed.Count} open merge requests; evaluating each (reads only)…");

        // The config that governs a project's MRs: the group's file merged with the project's own file, as the bot
        // merges them (an invalid project file: the group's rules alone, as the bot would apply without a stored one).
        var projectConfigs = services.GetRequiredService<ProjectConfigs>();
        var lines = new List<PlannedMergeRequest>();
        // By project path and iid: the order people look things up in (GitLab lists the newest first).
        foreach (var listedMr in listed.OrderBy(m => m.References?.Full?.Split('!')[0] ?? "", StringComparer.Ordinal).ThenBy(m => m.ProjectId).ThenBy(m => m.Iid))
        {
            var mergeRequest = new MergeRequestRef(listedMr.ProjectId, listedMr.Iid);
            var reference = listedMr.References?.Full ?? $"{listedMr.ProjectId}!{listedMr.Iid}";
            var effective = (await projectConfigs.ForProjectAsync(listedMr.ProjectId, null, cancellationToken)).Effective;
            lines.Add(await PlanOneAsync(mergeRequest, reference, effective, snapshots, peopleReader, existing, cancellationToken));
            if (lines.Count % ProgressEvery == 0 && lines.Count < listed.Count)
            {
                await progress.WriteLineAsync($"… {lines.Count}/{listed.Count} evaluated ({calls.Count} API calls so far)");
            }
        }

        return new PlanDocument
        {
            Group = group,
            ExistingMergeRequests = ExistingMergeRequestRule.Names[(int)config.ExistingMergeRequests],
            InstalledAt = installedAt,
            Assumptions = Assumptions(withStore, installedAt, config),
            MergeRequests = lines,
            Totals = PlanTotals.Of(lines),
            ApiCalls = calls.Count,
        };
    }

    /// <summary>One MR as the reconciler would evaluate it on a sweep, up to the plan: what the executor would be handed.</summary>
    private static async Task<PlannedMergeRequest> PlanOneAsync(
        MergeRequestRef mergeRequest, string reference, CompiledConfig config, MergeRequestSnapshotReader snapshots, PeopleReader peopleReader,
        ExistingMergeRequestState existing, CancellationToken cancellationToken)
    {
        var people = PeopleDecider.HasReviewerRules(config) || PeopleDecider.HasAssigneeRules(config);
        var read = await snapshots.ReadAsync(mergeRequest, config, knownNotes: null, withLabelHistory: false, cancellationToken, withSystemNotes: people);
        var plan = PolicyEngine.Evaluate(read.Snapshot, config);
        if (!read.HasLabelHistory && plan.UntouchedBecause is null && LabelHistory.CouldChange(plan, read.Snapshot.Labels))
        {
            // Who put each label there decides what humans keep (docs/gitlab-behaviour.md §3.3): read as the reconciler does.
            read = await snapshots.WithLabelHistoryAsync(read, cancellationToken);
            plan = PolicyEngine.Evaluate(read.Snapshot, config);
        }
        var planned = new PlannedMergeRequest
        {
            Reference = reference,
            ProjectId = mergeRequest.ProjectId,
            Iid = mergeRequest.Iid,
            Title = read.MergeRequest.Title,
            WebUrl = read.MergeRequest.WebUrl,
        };
        if (plan.UntouchedBecause is { } why)
        {
            return planned with { Treatment = "untouched", Note = why };
        }

        var treatment = await existing.DecideAsync(mergeRequest, read.MergeRequest.CreatedAt, config.ExistingMergeRequests, sweepOnly: true, cancellationToken);
        if (treatment == Treatment.Skipped)
        {
            return planned with { Treatment = "skipped", Note = ExistingMergeRequestRule.Describe(treatment) };
        }
        if (treatment == Treatment.LabelsOnly)
        {
            plan = ExistingMergeRequestRule.LabelsOnly(plan);
        }
        else
        {
            plan = plan with { People = (await peopleReader.DecideAsync(read, plan, config, cancellationToken)).Plan };
        }

        var summary = plan.SummaryComment && SummaryComment.HasContent(plan) ? SummaryComment.Render(plan) : null;
        var note = NoteMarkers.FindMarkedNote(read.BotNotes, read.Bot.Id, SummaryComment.Marker);
        var summaryNote = summary is null || (note is not null && SummaryNote.Of(note).Says(summary)) ? "none" : note is null ? "new" : "update";
        return planned with
        {
            Treatment = treatment == Treatment.LabelsOnly ? "labels-only" : "full",
            Note = treatment == Treatment.LabelsOnly ? ExistingMergeRequestRule.Describe(treatment) : null,
            DryRun = plan.DryRun,
            LabelsToAdd = [.. plan.LabelsToAdd.Select(l => l.Label)],
            LabelsToRemove = [.. plan.LabelsToRemove.Select(l => l.Label)],
            Reviewers = [.. plan.People?.ReviewersToRequest.Select(p => p.Username) ?? []],
            Assignees = plan.People is { AssigneeIds: { Count: > 0 } ids } p ? [.. p.Assignees.Where(a => ids.Contains(a.Id)).Select(a => a.Username)] : [],
            SummaryNote = summaryNote,
            Comments = [.. plan.Comments.Select(c => c.Policy)],
            NotReAdded = [.. plan.Decisions.Where(d => d.Kind == DecisionKind.NotReAdded).Select(d => d.Subject)],
        };
    }

    private static List<string> Assumptions(bool withStore, DateTimeOffset? installedAt, CompiledConfig config)
    {
        var assumptions = new List<string>();
        if (!withStore)
        {
            assumptions.Add("No store (--database): no reviewer or assignee decision is stored yet and round-robin turns start at 0; who added or removed each label is read from GitLab's label events, so labels a person removed are not added again.");
        }
        if (config.ExistingMergeRequests != ExistingMergeRequests.Full)
        {
            assumptions.Add(installedAt is { } at
                ? string.Create(CultureInfo.InvariantCulture, $"The bot was installed at {at.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z: MRs opened before then that no event brought get what sweep.existingMergeRequests says.")
                : "No installation recorded: every open MR counts as opened before the installation, as on the first sweep.");
        }
        if (config.DryRun)
        {
            assumptions.Add("dryRun is on in the config: the bot would log these changes and write none of them.");
        }
        return assumptions;
    }

    private static string Explain(GitLabApiException e, string group) => e.StatusCode switch
    {
        HttpStatusCode.NotFound => $"GitLab has no group {group} that the token can see (404 on {e.Path}): check the group's full path (e.g. acme/platform) and that the token's user is a member of it.",
        HttpStatusCode.Forbidden => $"{e.Message} (the token may not read this: it needs scope read_api or api, and its user must be a member of {group})",
        _ => CliGitLab.Describe(e),
    };

    internal static string Render(PlanDocument document, string configPath)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Plan for group {document.Group} and its subgroups (config {configPath}; sweep.existingMergeRequests: {document.ExistingMergeRequests}): nothing was written").AppendLine();
        foreach (var assumption in document.Assumptions)
        {
            text.Append("note: ").AppendLine(assumption);
        }
        text.AppendLine();
        foreach (var mr in document.MergeRequests)
        {
            text.AppendLine(Line(mr));
        }
        var t = document.Totals;
        text.AppendLine();
        text.Append(CultureInfo.InvariantCulture,
            $"Totals: {t.MergeRequests} merge requests, {t.WithChanges} with changes; labels +{t.LabelsAdded} -{t.LabelsRemoved}; reviewers requested {t.ReviewersRequested}; notes posted {t.NotesPosted} ({t.SummaryNotesPosted} summary, {t.CommentsPosted} comments), summary notes edited {t.SummaryNotesEdited}").AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"GitLab API calls: {document.ApiCalls} (all GET)").AppendLine();
        return text.ToString();
    }

    /// <summary><c>group/project!iid  +label -label  reviewers: @a  summary note: new  comment: policy</c>.</summary>
    internal static string Line(PlannedMergeRequest mr)
    {
        var parts = new List<string> { mr.Reference };
        if (mr.Treatment is "untouched" or "skipped")
        {
            parts.Add($"not touched: {mr.Note}");
            return string.Join("  ", parts);
        }
        var labels = mr.LabelsToAdd.Select(l => "+" + l).Concat(mr.LabelsToRemove.Select(l => "-" + l)).ToList();
        if (labels.Count > 0)
        {
            parts.Add(string.Join(' ', labels));
        }
        else if (!mr.HasChanges)
        {
            parts.Add("no changes");
        }
        if (mr.Reviewers.Count > 0)
        {
            parts.Add("reviewers: " + string.Join(' ', mr.Reviewers.Select(r => "@" + r)));
        }
        if (mr.Assignees.Count > 0)
        {
            parts.Add("assignees: " + string.Join(' ', mr.Assignees.Select(r => "@" + r)));
        }
        parts.Add("summary note: " + mr.SummaryNote);
        if (mr.Comments.Count > 0)
        {
            parts.Add("comment: " + string.Join(", ", mr.Comments));
        }
        if (mr.NotReAdded.Count > 0)
        {
            parts.Add("not re-added: " + string.Join(", ", mr.NotReAdded));
        }
        if (mr.Note is not null)
        {
            parts.Add($"({mr.Note})");
        }
        return string.Join("  ", parts);
    }

    /// <summary>Counts the requests sent to GitLab.</summary>
    private sealed class ApiCallCounter
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add() => Interlocked.Increment(ref _count);
    }

    private sealed class CountingHandler(ApiCallCounter counter) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            counter.Add();
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>
    /// The bot's state as plan sees it: read from the store when one is given, never written to it. What plan's own
    /// decisions would store (a round-robin turn taken) stays in memory, so the MRs after it see it as the bot would.
    /// </summary>
    private sealed class ReadOnlyBotState(IBotStateStore? store) : IBotStateStore
    {
        private readonly Dictionary<string, string> _written = new(StringComparer.Ordinal);

        public async Task<string?> GetAsync(string key, CancellationToken cancellationToken) =>
            _written.TryGetValue(key, out var value) ? value : store is null ? null : await store.GetAsync(key, cancellationToken);

        public Task SetAsync(string key, string value, CancellationToken cancellationToken)
        {
            _written[key] = value;
            return Task.CompletedTask;
        }

        public async Task<long> IncrementAsync(string key, long delta, CancellationToken cancellationToken)
        {
            var now = long.TryParse(await GetAsync(key, cancellationToken), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
            _written[key] = (now + delta).ToString(CultureInfo.InvariantCulture);
            return now + delta;
        }
    }
}

/// <summary>
/// <c>plan --json</c>: the group, the setting for MRs older than the installation, what plan assumed, one object per open
/// MR, the totals and the number of GitLab API calls (README.md documents the fields).
/// </summary>
internal sealed record PlanDocument
{
    public required string Group { get; init; }
    public required string ExistingMergeRequests { get; init; }
    public DateTimeOffset? InstalledAt { get; init; }
    public IReadOnlyList<string> Assumptions { get; init; } = [];
    public IReadOnlyList<PlannedMergeRequest> MergeRequests { get; init; } = [];
    public required PlanTotals Totals { get; init; }
    public int ApiCalls { get; init; }
}

/// <summary>What the bot would do to one MR. <see cref="Treatment"/>: <c>full</c>, <c>labels-only</c>, <c>skipped</c> or <c>untouched</c>.</summary>
internal sealed record PlannedMergeRequest
{
    public required string Reference { get; init; }
    public long ProjectId { get; init; }
    public long Iid { get; init; }
    public string Title { get; init; } = "";
    public string? WebUrl { get; init; }
    public string Treatment { get; init; } = "full";

    /// <summary>Why the treatment is not the full one, or why the MR is not touched.</summary>
    public string? Note { get; init; }
    public bool DryRun { get; init; }
    public IReadOnlyList<string> LabelsToAdd { get; init; } = [];
    public IReadOnlyList<string> LabelsToRemove { get; init; } = [];
    public IReadOnlyList<string> Reviewers { get; init; } = [];
    public IReadOnlyList<string> Assignees { get; init; } = [];

    /// <summary><c>new</c> (posted), <c>update</c> (edited) or <c>none</c>.</summary>
    public string SummaryNote { get; init; } = "none";
    public IReadOnlyList<string> Comments { get; init; } = [];

    /// <summary>Labels a policy wants that a person removed: humans win, they stay removed.</summary>
    public IReadOnlyList<string> NotReAdded { get; init; } = [];

    public bool HasChanges => LabelsToAdd.Count > 0 || LabelsToRemove.Count > 0 || Reviewers.Count > 0 || Assignees.Count > 0 || Comments.Count > 0 || SummaryNote != "none";
}

internal sealed record PlanTotals
{
    public int MergeRequests { get; init; }
    public int WithChanges { get; init; }
    public int LabelsAdded { get; init; }
    public int LabelsRemoved { get; init; }
    public int ReviewersRequested { get; init; }
    public int AssigneesSet { get; init; }
    public int NotesPosted { get; init; }
    public int SummaryNotesPosted { get; init; }
    public int SummaryNotesEdited { get; init; }
    public int CommentsPosted { get; init; }

    public static PlanTotals Of(IReadOnlyList<PlannedMergeRequest> mrs)
    {
        var summaries = mrs.Count(m => m.SummaryNote == "new");
        var comments = mrs.Sum(m => m.Comments.Count);
        return new PlanTotals
        {
            MergeRequests = mrs.Count,
            WithChanges = mrs.Count(m => m.HasChanges),
            LabelsAdded = mrs.Sum(m => m.LabelsToAdd.Count),
            LabelsRemoved = mrs.Sum(m => m.LabelsToRemove.Count),
            ReviewersRequested = mrs.Sum(m => m.Reviewers.Count),
            AssigneesSet = mrs.Sum(m => m.Assignees.Count),
            NotesPosted = summaries + comments,
            SummaryNotesPosted = summaries,
            SummaryNotesEdited = mrs.Count(m => m.SummaryNote == "update"),
            CommentsPosted = comments,
        };
    }
}
