using GitLabMrBot.Configuration;
using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Inbox;
using GitLabMrBot.Policies;
using GitLabMrBot.Storage;
using Microsoft.Extensions.Options;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>
/// Writes one <see cref="DecisionRecord"/> per evaluation to the decision log, kept as <see cref="DecisionLogOptions"/> says.
/// A log that cannot be written never fails the evaluation: GitLab has already been written to, and a retry would only
/// write again; the failure is logged instead.
/// </summary>
public sealed partial class DecisionRecorder(
    IDecisionLog log,
    IOptions<DecisionLogOptions> options,
    BotSettings settings,
    TimeProvider time,
    ILogger<DecisionRecorder> logger)
{
    public DecisionDraft Start(MergeRequestRef mergeRequest, ReconcileContext context) =>
        new(mergeRequest, context, time, settings.GitLabUrl);

    public async Task SaveAsync(DecisionDraft draft, CancellationToken cancellationToken)
    {
        var record = draft.ToRecord();
        try
        {
            await log.AppendAsync(record, options.Value.MaxPerMergeRequest, time.GetUtcNow() - options.Value.Retention, cancellationToken);
        }
        catch (InboxUnavailableException e)
        {
            Log.NotRecorded(logger, record.ProjectId, record.Iid, e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4011, Level = LogLevel.Warning, Message = "{ProjectId}!{Iid}: the decision log could not store this evaluation: {Reason}")]
        public static partial void NotRecorded(ILogger logger, long projectId, long iid, string reason);
    }
}

/// <summary>One evaluation's record as it happens; <see cref="DecisionRecorder"/> stores it when the evaluation ends.</summary>
public sealed class DecisionDraft
{
    private readonly MergeRequestRef _mergeRequest;
    private readonly ReconcileContext _context;
    private readonly TimeProvider _time;
    private readonly Uri _gitLabUrl;
    private readonly DateTimeOffset _startedAt;
    private readonly long _started;
    private string _outcome = DecisionOutcomes.Unchanged;
    private string? _detail;
    private string? _projectPath;
    private List<DecisionChange> _changes = [];
    private readonly List<string> _notDone = [];

    internal DecisionDraft(MergeRequestRef mergeRequest, ReconcileContext context, TimeProvider time, Uri gitLabUrl)
    {
        _mergeRequest = mergeRequest;
        _context = context;
        _time = time;
        _gitLabUrl = gitLabUrl;
        _startedAt = time.GetUtcNow();
        _started = time.GetTimestamp();
    }

    /// <summary>The writes, as the executor makes them.</summary>
    public List<WriteMade> Journal { get; } = [];

    /// <summary>The MR was read: its web URL names its project's path (for <c>mrbot explain group/project!iid</c>).</summary>
    public void Read(string webUrl) => _projectPath = ProjectPath(webUrl, _gitLabUrl);

    /// <summary>What the plan wants, each with its reason.</summary>
    public void Planned(Plan plan)
    {
        var changes = new List<DecisionChange>();
        changes.AddRange(plan.LabelsToAdd.Select(l => new DecisionChange("label+", l.Label, l.Reason.ToString())));
        changes.AddRange(plan.LabelsToRemove.Select(l => new DecisionChange("label-", l.Label, l.Reason.ToString())));
        changes.AddRange(plan.Comments.Select(c => new DecisionChange("comment", c.Policy, $"policy {c.Policy} matched")));
        if (plan.People is { } people)
        {
            changes.AddRange(people.ReviewersToRequest.Select(p => new DecisionChange("reviewer", "@" + p.Username, string.Join("; ", p.Why))));
            if (people.AssigneeIds is { } assigneeIds)
            {
                changes.AddRange(people.Assignees.Where(p => assigneeIds.Contains(p.Id))
                    .Select(p => new DecisionChange("assignee", "@" + p.Username, string.Join("; ", p.Why))));
            }
            _notDone.AddRange(people.PassedOver.Select(p => $"@{p.Username} passed over: {p.Detail}"));
        }
        _changes = changes;
        _notDone.AddRange(plan.Decisions.Select(d => d.Text));
    }

    public void Ended(string outcome, string? detail)
    {
        _outcome = outcome;
        _detail = detail;
    }

    public void Failed(Exception e) => Ended(DecisionOutcomes.Failed, e.Message);

    public DecisionRecord ToRecord() => new DecisionRecord
    {
        ProjectId = _mergeRequest.ProjectId,
        Iid = _mergeRequest.Iid,
        ProjectPath = _projectPath,
        StartedAt = _startedAt,
        DurationMs = Math.Round(_time.GetElapsedTime(_started).TotalMilliseconds, 1),
        Outcome = _outcome,
        Detail = _detail,
        Triggers = [.. _context.DeliveryIds.Select((id, i) => new DecisionTrigger(id, i < _context.Events.Count ? _context.Events[i] : "?"))],
        Changes = _changes,
        NotDone = _notDone,
        Writes = [.. Journal.Select(w => new DecisionWrite(w.What, w.Answer))],
    }.Bounded();

    /// <summary><c>group/project</c> from <c>{GitLab}/group/project/-/merge_requests/7</c>, below GitLab's own path prefix.</summary>
    internal static string? ProjectPath(string webUrl, Uri gitLabUrl)
    {
        if (!Uri.TryCreate(webUrl, UriKind.Absolute, out var url))
        {
            return null;
        }
        var path = Uri.UnescapeDataString(url.AbsolutePath);
        var prefix = gitLabUrl.AbsolutePath.TrimEnd('/');
        if (prefix.Length > 0 && path.StartsWith(prefix + "/", StringComparison.OrdinalIgnoreCase))
        {
            path = path[prefix.Length..];
        }
        // GitLab's MR URLs are {project}/-/merge_requests/{iid}; older versions left out the "/-".
        var end = path.IndexOf("/-/", StringComparison.Ordinal);
        end = end > 0 ? end : path.LastIndexOf("/merge_requests/", StringComparison.Ordinal);
        return end > 1 ? path[1..end] : null;
    }
}
