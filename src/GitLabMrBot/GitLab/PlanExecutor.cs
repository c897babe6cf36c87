using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Reviewers;

namespace GitLabMrBot.GitLab;

/// <summary>
/// The one class that turns a <see cref="Plan"/> into GitLab writes (docs/contract.md §2 "decide, then act"):
/// missing project labels first, then every label change in ONE PUT, then policy comments (once each),
/// then the summary note, edited only when its text changes. A plan that changes nothing writes nothing.
/// </summary>
public sealed partial class PlanExecutor(IMergeRequestWriter gitLab, PeopleLimits limits, ILogger<PlanExecutor> logger)
{
    /// <summary>Applies the plan; returns how many writes it made (0 in dry-run mode and for settled MRs).</summary>
    public async Task<int> ApplyAsync(Plan plan, IReadOnlyList<GitLabNote> botNotes, CancellationToken cancellationToken) =>
        (await ExecuteAsync(plan, botNotes, cancellationToken)).Writes;

    /// <summary>
    /// Applies the plan; returns how many writes it made and the reviewers and assignees as GitLab kept them (read back from
    /// the PUT's answer: GitLab Free keeps one of each, docs/gitlab-behaviour.md §3.2). The summary explains that, not the wish.
    /// </summary>
    public Task<PlanOutcome> ExecuteAsync(Plan plan, IReadOnlyList<GitLabNote> botNotes, CancellationToken cancellationToken) =>
        ExecuteAsync(plan, botNotes.FirstOrDefault(n => n.Body.Contains(SummaryComment.Marker, StringComparison.Ordinal)) is { } note ? SummaryNote.Of(note) : null, cancellationToken);

    /// <summary>
    /// Applies the plan given the summary note as the bot last wrote it (<paramref name="existingSummary"/>, null when the MR
    /// has none known): the notes are not read to decide whether to edit it. The outcome says which summary note the MR has
    /// afterwards and which policy comments are on it, for the caller to remember. <paramref name="notesRead"/>: the caller
    /// read the MR's notes in this evaluation, so a note it did not find is known absent and is posted without another read.
    /// </summary>
    /// <param name="journal">Receives each write as it is made, with GitLab's answer (a failing write too, before its exception
    /// propagates), for the decision log: what was written survives a failure half-way.</param>
    public async Task<PlanOutcome> ExecuteAsync(Plan plan, SummaryNote? existingSummary, CancellationToken cancellationToken, bool notesRead = false, IList<WriteMade>? journal = null)
    {
        var mr = plan.MergeRequest;
        journal ??= [];

        if (plan.DryRun)
        {
            foreach (var add in plan.LabelsToAdd)
            {
                Log.DryRunLabel(logger, mr.ProjectId, mr.Iid, "add", add.Label, add.Reason);
            }
            foreach (var remove in plan.LabelsToRemove)
            {
                Log.DryRunLabel(logger, mr.ProjectId, mr.Iid, "remove", remove.Label, remove.Reason);
            }
            foreach (var comment in plan.Comments)
            {
                Log.DryRunComment(logger, mr.ProjectId, mr.Iid, comment.Policy);
            }
            if (plan.People?.HasChanges == true && logger.IsEnabled(LogLevel.Information))
            {
                var reviewers = Names(plan.People.ReviewerIds, plan.People.Reviewers);
                var assignees = Names(plan.People.AssigneeIds, plan.People.Assignees);
                Log.DryRunPeople(logger, mr.ProjectId, mr.Iid, reviewers, assignees);
            }
            if (Summary(plan) is { } wouldBe && existingSummary?.Says(wouldBe) != true)
            {
                Log.DryRunComment(logger, mr.ProjectId, mr.Iid, "summary");
            }
            return new PlanOutcome(0, plan.People) { Summary = existingSummary };
        }

        var writes = 0;
        if (plan.LabelsToCreate.Count > 0)
        {
            var what = $"create project labels {string.Join(", ", plan.LabelsToCreate.Select(l => l.Name))} if missing";
            IReadOnlyList<string> created;
            try
            {
                created = await gitLab.EnsureLabelsAsync(mr.ProjectId, plan.LabelsToCreate.Select(l => new LabelDefinition(l.Name, l.Color)), cancellationToken);
            }
            catch (GitLabApiException e) when (Failed(journal, what, e))
            {
                throw;
            }
            writes += created.Count;
            journal.Add(new WriteMade(what, created.Count == 0 ? "none missing" : $"created {string.Join(", ", created)}"));
        }

        // Labels, reviewers and assignees in ONE PUT: one write, one webhook echo, one system-note batch.
        var labelsChange = plan.LabelsToAdd.Count > 0 || plan.LabelsToRemove.Count > 0;
        if (plan.People is { HasChanges: true } people)
        {
            // The people lists replace GitLab's whole: each attempt is built from the MR as it is right then.
            const string what = "PUT merge request (labels, reviewers, assignees)";
            FreshUpdateResult result;
            try
            {
                result = await gitLab.UpdateMergeRequestFromFreshReadAsync(mr, fresh => Update(plan, people, fresh), cancellationToken);
            }
            catch (GitLabApiException e) when (Failed(journal, what, e))
            {
                throw;
            }
            if (result.Sent is { } put)
            {
                journal.Add(new WriteMade(Describe(put), $"200 OK: {Describe(result.After)}"));
            }
            var oneOnly = (Reviewers: false, Assignees: false);
            if (result.Sent is { } sent)
            {
                writes++;
                oneOnly = limits.Learn(mr.ProjectId, sent, result.After);
                if (oneOnly.Reviewers || oneOnly.Assignees)
                {
                    Log.KeepsOne(logger, mr.ProjectId, mr.Iid, oneOnly.Reviewers, oneOnly.Assignees);
                }
            }
            plan = plan with { People = ReadBack(mr.ProjectId, people, result) };
            if (result.Sent is not null && logger.IsEnabled(LogLevel.Information))
            {
                LogApplied(plan, result);
            }
        }
        else if (labelsChange)
        {
            var update = LabelUpdate(plan);
            GitLabMergeRequest after;
            try
            {
                after = await gitLab.UpdateMergeRequestAsync(mr, update, cancellationToken);
            }
            catch (GitLabApiException e) when (Failed(journal, Describe(update), e))
            {
                throw;
            }
            journal.Add(new WriteMade(Describe(update), $"200 OK: {Describe(after)}"));
            writes++;
            if (logger.IsEnabled(LogLevel.Information))
            {
                var (added, removed) = LabelNames(plan);
                Log.LabelsApplied(logger, mr.ProjectId, mr.Iid, added, removed);
            }
        }

        foreach (var comment in plan.Comments)
        {
            var what = $"{comment.Policy} comment";
            NoteUpsertResult result;
            try
            {
                result = await gitLab.UpsertMarkedNoteAsync(mr, comment.Marker, comment.Body, cancellationToken, knownAbsent: notesRead);
            }
            catch (GitLabApiException e) when (Failed(journal, what, e))
            {
                throw;
            }
            journal.Add(new WriteMade(what, Describe(result)));
            writes += result.Outcome == NoteUpsertOutcome.Unchanged ? 0 : 1;
        }

        // Rendered after the PUT: it names the people GitLab kept.
        var summary = Summary(plan);
        var summaryNote = existingSummary;
        // Compared by hash as GitLab stores the body (docs/gitlab-behaviour.md §3.3), or every evaluation rewrites it.
        if (summary is not null && existingSummary?.Says(summary) != true)
        {
            const string what = "summary note";
            bool written;
            try
            {
                (summaryNote, written) = await WriteSummaryAsync(mr, existingSummary, summary, notesRead, cancellationToken);
            }
            catch (GitLabApiException e) when (Failed(journal, what, e))
            {
                throw;
            }
            journal.Add(new WriteMade(existingSummary is null ? "summary note" : $"summary note {existingSummary.Id}",
                written ? summaryNote.Id == existingSummary?.Id ? $"200 OK: note {summaryNote.Id} edited" : $"201 Created: note {summaryNote.Id}" : $"unchanged: note {summaryNote.Id}"));
            writes += written ? 1 : 0;
        }
        return new PlanOutcome(writes, plan.People) { Summary = summaryNote, PolicyComments = [.. plan.Comments.Select(c => c.Policy)], Made = [.. journal] };
    }

    /// <summary>
    /// Edits the known summary note; a note GitLab no longer has (deleted: the PUT is 404, docs/gitlab-behaviour.md §3.3) is
    /// posted anew. With no known note the upsert looks for the marker before posting (unless the notes were read in this
    /// evaluation and had none), so a lost answer or a forgotten record never doubles the note.
    /// </summary>
    private async Task<(SummaryNote Note, bool Written)> WriteSummaryAsync(Events.MergeRequestRef mr, SummaryNote? known, string summary, bool notesRead, CancellationToken cancellationToken)
    {
        if (known is not null)
        {
            try
            {
                // An edit keeps the note's id.
                await gitLab.UpdateNoteAsync(mr, known.Id, summary, cancellationToken);
                return (known with { BodyHash = SummaryNote.HashOf(summary) }, true);
            }
            catch (GitLabApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                Log.SummaryNoteGone(logger, mr.ProjectId, mr.Iid, known.Id);
            }
        }
        var result = await gitLab.UpsertMarkedNoteAsync(mr, SummaryComment.Marker, summary, cancellationToken, knownAbsent: notesRead && known is null);
        return (new SummaryNote(result.Note.Id, SummaryNote.HashOf(summary)), result.Outcome != NoteUpsertOutcome.Unchanged);
    }

    /// <summary>Records the failed write for the journal; false, so the exception goes on unhandled.</summary>
    private static bool Failed(IList<WriteMade> journal, string what, GitLabApiException e)
    {
        journal.Add(new WriteMade(what, e.StatusCode is { } status ? $"{(int)status} {status}: {e.GitLabMessage ?? e.Message}" : $"no answer: {e.Message}"));
        return false;
    }

    private static string Describe(MergeRequestUpdate update)
    {
        var parts = new List<string>();
        if (update.AddLabels is { Count: > 0 } add)
        {
            parts.Add("add labels " + string.Join(", ", add));
        }
        if (update.RemoveLabels is { Count: > 0 } remove)
        {
            parts.Add("remove labels " + string.Join(", ", remove));
        }
        if (update.ReviewerIds is { } reviewers)
        {
            parts.Add("reviewer_ids " + string.Join(",", reviewers));
        }
        if (update.AssigneeIds is { } assignees)
        {
            parts.Add("assignee_ids " + string.Join(",", assignees));
        }
        return "PUT merge request: " + string.Join("; ", parts);
    }

    private static string Describe(GitLabMergeRequest after) =>
        $"labels now [{string.Join(", ", after.Labels)}], reviewers [{string.Join(", ", after.Reviewers.Select(u => u.Username))}], assignees [{string.Join(", ", after.Assignees.Select(u => u.Username))}]";

    private static string Describe(NoteUpsertResult result) => result.Outcome switch
    {
        NoteUpsertOutcome.Unchanged => $"unchanged: note {result.Note.Id}",
        NoteUpsertOutcome.Updated => $"200 OK: note {result.Note.Id} edited",
        _ => $"201 Created: note {result.Note.Id}",
    };

    private static string? Summary(Plan plan) => plan.SummaryComment && SummaryComment.HasContent(plan) ? SummaryComment.Render(plan) : null;

    private static MergeRequestUpdate LabelUpdate(Plan plan) => new()
    {
        AddLabels = plan.LabelsToAdd.Select(l => l.Label).ToList(),
        RemoveLabels = plan.LabelsToRemove.Select(l => l.Label).ToList(),
    };

    /// <summary>
    /// The update for the MR as it is now (<paramref name="fresh"/>): the labels, the reviewers it has now plus the picks
    /// not on it yet (no more than the slots the decision wanted filled, within what GitLab keeps), and the assignees
    /// only while it still has none. Whoever a human added since the decision stays, and comes first in the list, so
    /// GitLab Free, which keeps the first id, keeps the human's choice.
    /// </summary>
    private MergeRequestUpdate Update(Plan plan, PeoplePlan people, GitLabMergeRequest fresh)
    {
        var projectId = plan.MergeRequest.ProjectId;
        IReadOnlyList<long>? reviewerIds = null;
        if (people.ReviewerIds is not null && people.ReviewersToRequest.Count > 0)
        {
            var current = fresh.Reviewers.Select(u => u.Id).Distinct().ToList();
            var cap = Math.Min(people.ReviewersWanted ?? int.MaxValue, limits.Reviewers(projectId) ?? int.MaxValue);
            var add = people.ReviewersToRequest.Select(p => p.Id).Where(id => !current.Contains(id)).Distinct()
                .Take(Math.Max(0, cap - current.Count)).ToList();
            reviewerIds = add.Count == 0 ? null : [.. current, .. add];
        }
        IReadOnlyList<long>? assigneeIds = null;
        if (people.AssigneeIds is { Count: > 0 } wanted && fresh.Assignees.Count == 0)
        {
            assigneeIds = [.. wanted.Take(limits.Assignees(projectId) ?? int.MaxValue)];
        }
        return LabelUpdate(plan) with { ReviewerIds = reviewerIds, AssigneeIds = assigneeIds };
    }

    /// <summary>
    /// The people part as GitLab applied it: picks missing from GitLab's answer are not reported as requested or assigned;
    /// they are passed over with the reason, so the summary (and the stored decision) say what really happened.
    /// </summary>
    private PeoplePlan ReadBack(long projectId, PeoplePlan people, FreshUpdateResult result)
    {
        var keptReviewers = result.After.Reviewers.Select(u => u.Id).ToHashSet();
        var sentReviewers = result.Sent?.ReviewerIds ?? [];
        var droppedReviewers = people.ReviewersToRequest.Where(p => !keptReviewers.Contains(p.Id)).ToList();
        if (droppedReviewers.Count > 0)
        {
            var keepsOne = limits.Reviewers(projectId) == 1;
            var before = result.Before.Reviewers.Count;
            people = people with
            {
                Reviewers = [.. people.Reviewers.Where(p => !droppedReviewers.Contains(p))],
                PassedOver = [.. people.PassedOver, .. droppedReviewers.Select(p => new PassedOver(p.Username, PassedOverReason.NotApplied,
                    sentReviewers.Contains(p.Id)
                        ? keepsOne ? "not kept by GitLab: this GitLab keeps one reviewer per merge request" : "not kept by GitLab (it drops people who cannot see the merge request)"
                        : $"not requested: the merge request had {Count(before, "reviewer")} by then{(keepsOne ? ", and this GitLab keeps one" : "")}"))],
            };
        }

        if (people.AssigneeIds is { } assigneeIds)
        {
            var keptAssignees = result.After.Assignees.Select(u => u.Id).ToHashSet();
            var sentAssignees = result.Sent?.AssigneeIds ?? [];
            var droppedAssignees = people.Assignees.Where(p => assigneeIds.Contains(p.Id) && !keptAssignees.Contains(p.Id)).ToList();
            if (droppedAssignees.Count > 0)
            {
                var keepsOne = limits.Assignees(projectId) == 1;
                var why = droppedAssignees.Select(p => $"@{p.Username} (" + (sentAssignees.Contains(p.Id)
                    ? keepsOne ? "this GitLab keeps one assignee per merge request" : "not kept by GitLab"
                    : "the merge request had an assignee by then") + ")");
                var note = "Not assigned: " + string.Join(", ", why) + ".";
                people = people with
                {
                    Assignees = [.. people.Assignees.Where(p => !droppedAssignees.Contains(p))],
                    AssigneesNote = people.AssigneesNote is null ? note : people.AssigneesNote + " " + note,
                };
            }
        }
        return people;
    }

    private void LogApplied(Plan plan, FreshUpdateResult result)
    {
        var mr = plan.MergeRequest;
        var (added, removed) = LabelNames(plan);
        Log.LabelsApplied(logger, mr.ProjectId, mr.Iid, added, removed);
        var people = plan.People!;
        var reviewers = Names(result.Sent!.ReviewerIds, people.Reviewers);
        var assignees = Names(result.Sent.AssigneeIds, people.Assignees);
        Log.PeopleApplied(logger, mr.ProjectId, mr.Iid, reviewers, assignees);
    }

    private static (string Added, string Removed) LabelNames(Plan plan) =>
        (string.Join(",", plan.LabelsToAdd.Select(l => l.Label)), string.Join(",", plan.LabelsToRemove.Select(l => l.Label)));

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    /// <summary>Writes a reply note once (found again by its marker); true when a note was written.</summary>
    public async Task<bool> ApplyReplyAsync(NoteReply reply, CancellationToken cancellationToken)
    {
        var result = await gitLab.UpsertMarkedNoteAsync(reply.MergeRequest, reply.Marker, reply.Body, cancellationToken);
        Log.Replied(logger, reply.MergeRequest.ProjectId, reply.MergeRequest.Iid, reply.Why, result.Outcome);
        return result.Outcome != NoteUpsertOutcome.Unchanged;
    }

    // The picks among the ids being sent (and kept), by name, for the log line.
    private static string Names(IReadOnlyList<long>? ids, IReadOnlyList<PersonPick> picks) =>
        ids is null ? "-" : string.Join(",", picks.Where(p => ids.Contains(p.Id)).Select(p => p.Username));

    private static partial class Log
    {
        [LoggerMessage(EventId = 4106, Level = LogLevel.Information, Message = "{ProjectId}!{Iid} reply ({Why}): {Outcome}")]
        public static partial void Replied(ILogger logger, long projectId, long iid, string why, NoteUpsertOutcome outcome);

        [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "{ProjectId}!{Iid} reviewers requested [{Reviewers}] assignees set [{Assignees}]")]
        public static partial void PeopleApplied(ILogger logger, long projectId, long iid, string reviewers, string assignees);

        [LoggerMessage(EventId = 4105, Level = LogLevel.Information, Message = "Dry run: {ProjectId}!{Iid} would request reviewers [{Reviewers}] and assign [{Assignees}]")]
        public static partial void DryRunPeople(ILogger logger, long projectId, long iid, string reviewers, string assignees);

        [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "{ProjectId}!{Iid} labels added [{Added}] removed [{Removed}]")]
        public static partial void LabelsApplied(ILogger logger, long projectId, long iid, string added, string removed);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Dry run: {ProjectId}!{Iid} would {Action} label {Label} ({Reason})")]
        public static partial void DryRunLabel(ILogger logger, long projectId, long iid, string action, string label, Reason reason);

        [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Dry run: {ProjectId}!{Iid} would write the {Comment} comment")]
        public static partial void DryRunComment(ILogger logger, long projectId, long iid, string comment);

        [LoggerMessage(EventId = 4161, Level = LogLevel.Information, Message = "{ProjectId}!{Iid}: the summary note {NoteId} was deleted in GitLab; posting it again")]
        public static partial void SummaryNoteGone(ILogger logger, long projectId, long iid, long noteId);

        [LoggerMessage(EventId = 4151, Level = LogLevel.Information, Message = "{ProjectId}!{Iid}: GitLab kept only the first of the ids sent (reviewers {Reviewers}, assignees {Assignees}); asking for one from now on in this project")]
        public static partial void KeepsOne(ILogger logger, long projectId, long iid, bool reviewers, bool assignees);
    }
}

/// <summary>What applying a plan did: the writes made, and the reviewers and assignees as GitLab kept them.</summary>
public sealed record PlanOutcome(int Writes, PeoplePlan? People)
{
    /// <summary>The summary note the MR has now, as the bot last wrote or found it; null when it has none known.</summary>
    public SummaryNote? Summary { get; init; }

    /// <summary>The policies whose comment is on the MR now because this plan wrote (or found) it.</summary>
    public IReadOnlyList<string> PolicyComments { get; init; } = [];

    /// <summary>The writes made, in order, with what GitLab answered (for the decision log).</summary>
    public IReadOnlyList<WriteMade> Made { get; init; } = [];
}

/// <summary>One write of a plan and GitLab's answer to it, in words an operator reads.</summary>
public sealed record WriteMade(string What, string Answer);
