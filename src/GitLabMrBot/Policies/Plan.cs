using GitLabMrBot.Events;
using GitLabMrBot.Policies.Config;
using GitLabMrBot.Policies.Reviewers;

namespace GitLabMrBot.Policies;

/// <summary>
/// What the policies want for one MR, with a reason for every decision (docs/contract.md §2 "decide, then act").
/// The executor turns <see cref="LabelsToAdd"/>/<see cref="LabelsToRemove"/> into one PUT, creates
/// <see cref="LabelsToCreate"/> first when the project lacks them, posts <see cref="Comments"/> whose
/// marker is not on the MR yet, and writes nothing at all when <see cref="DryRun"/> is set.
/// </summary>
public sealed record Plan
{
    public required MergeRequestRef MergeRequest { get; init; }

    /// <summary>The config says <c>dryRun</c>: evaluate and log, write nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>Set when the MR must not be touched (closed, merged): everything else is empty.</summary>
    public string? UntouchedBecause { get; init; }

    /// <summary>
    /// The labels the bot wants on the MR after this plan (already present or about to be added), each
    /// with its rule. This is the steady state: it reads the same before and after the plan is applied,
    /// which is what keeps the summary comment from being edited by the bot's own echo events.
    /// </summary>
    public IReadOnlyList<AppliedLabel> Applied { get; init; } = [];

    public IReadOnlyList<LabelChange> LabelsToAdd { get; init; } = [];

    /// <summary>Only labels the bot added earlier (principle 5): never one a human put there.</summary>
    public IReadOnlyList<LabelChange> LabelsToRemove { get; init; } = [];

    /// <summary>Labels being added that have a configured colour: create them first if the project lacks them.</summary>
    public IReadOnlyList<LabelToCreate> LabelsToCreate { get; init; } = [];

    public SizeDecision? Size { get; init; }

    /// <summary>Policy comments to post (each once per MR; its marker identifies it).</summary>
    public IReadOnlyList<PolicyComment> Comments { get; init; } = [];

    /// <summary>What was deliberately not done, and why ("type::feature not re-added: removed by a human").</summary>
    public IReadOnlyList<Decision> Decisions { get; init; } = [];

    /// <summary>
    /// What GitLab left out of the MR's diff (too-large or collapsed files, files past its diff limits), said in the
    /// summary; null when the diff is whole (docs/gitlab-behaviour.md §3.2).
    /// </summary>
    public string? IncompleteDiff { get; init; }

    /// <summary>Policies whose conditions hold, with what matched (reviewer and assignee actions are read from here).</summary>
    public IReadOnlyList<PolicyMatch> MatchedPolicies { get; init; } = [];

    /// <summary>
    /// Reviewers and assignees: decided by <see cref="PeopleDecider"/> after the engine (from facts the reconciler
    /// reads from GitLab only as the decision asks for them), sent in the same PUT as the labels. Null when no reviewer
    /// or assignee rule is configured.
    /// </summary>
    public PeoplePlan? People { get; init; }

    /// <summary>The project's own policy file when it has one (its path, its policies, and why it is not in force when invalid); null: none.</summary>
    public ProjectFileStatus? ProjectFile { get; init; }

    /// <summary>Post or update the summary comment (the config's <c>summaryComment</c>).</summary>
    public bool SummaryComment { get; init; } = true;

    /// <summary>True when applying the plan would write to GitLab.</summary>
    public bool HasChanges => LabelsToAdd.Count > 0 || LabelsToRemove.Count > 0 || Comments.Count > 0 || People?.HasChanges == true;

    /// <summary>The labels the MR carries once the plan is applied, given the labels it has now.</summary>
    public IReadOnlyList<string> LabelsAfter(IEnumerable<string> current) =>
        current.Where(l => !LabelsToRemove.Any(r => r.Label == l))
            .Concat(LabelsToAdd.Select(a => a.Label))
            .Distinct(StringComparer.Ordinal)
            .ToList();
}

/// <summary>
/// A project's own file as the summary explains it: <see cref="Path"/> in the repository, the names of the policies that came
/// from it, and, when the file on the default branch is invalid, its first errors (each with its line) and whether the last
/// valid version stays in force (else the group's policies alone).
/// </summary>
public sealed record ProjectFileStatus(string Path, IReadOnlySet<string> ProjectPolicies, IReadOnlyList<string> Errors, bool KeptPrevious)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>Why: the rule (a policy name, <c>sizeLabels</c> or <c>needsRebase</c>) and what matched.</summary>
public sealed record Reason(string Rule, string Detail)
{
    public const string SizeLabelsRule = "sizeLabels";
    public const string NeedsRebaseRule = "needsRebase";

    public override string ToString() => $"{Rule}: {Detail}";
}

public sealed record LabelChange(string Label, Reason Reason);

public sealed record AppliedLabel(string Label, Reason Reason, bool AlreadyPresent);

public sealed record LabelToCreate(string Name, string Color);

/// <summary>The size label chosen and the count behind it.</summary>
public sealed record SizeDecision(string Label, int Lines, int IgnoredFiles, string Detail);

/// <summary>A policy comment: <see cref="Marker"/> is the hidden line that finds it again on the MR.</summary>
public sealed record PolicyComment(string Policy, string Marker, string Body);

/// <summary>
/// A note the bot writes in answer to someone (a command's reply), outside any policy: upserted by its
/// <see cref="Marker"/>, so it is written once however often its trigger is redelivered.
/// </summary>
public sealed record NoteReply(MergeRequestRef MergeRequest, string Marker, string Body, string Why);

public sealed record PolicyMatch(string Policy, string Detail, ActionsConfig Then);

public enum DecisionKind
{
    /// <summary>A policy wants a label a human removed from this MR: it stays removed.</summary>
    NotReAdded,

    /// <summary>A policy's removeLabels names a label a human added: it stays.</summary>
    HumanLabelKept,

    /// <summary>Adding a scoped label would replace one of the same scope that a human set.</summary>
    HumanScopedLabelKept,

    /// <summary>Two rules want labels of the same scope: the first wins.</summary>
    ScopeConflict,

    /// <summary>A policy's removeLabels overrides another rule adding the same label.</summary>
    RemovedByPolicy,

    /// <summary>A regex ran past its match timeout: the policy was treated as not matching.</summary>
    RegexTimeout,

    /// <summary>The time budget for regular expressions (of the evaluation, or of the policy) ran out: the policy was skipped, undecided.</summary>
    TimeBudgetExceeded,

    /// <summary>The policy's comment is already on the MR.</summary>
    CommentAlreadyPosted,

    /// <summary>The policy's comment template failed to render.</summary>
    CommentFailed,

    /// <summary>Policies depend on each other's labels in a cycle; the last evaluation was used.</summary>
    NotSettled,

    /// <summary>A policy's condition depends on changes GitLab did not return (files past its diff limits, lines of a too-large file).</summary>
    DiffIncomplete,
}

public sealed record Decision(DecisionKind Kind, string Subject, Reason Reason, string Text)
{
    public override string ToString() => Text;
}
