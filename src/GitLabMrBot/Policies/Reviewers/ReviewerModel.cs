namespace GitLabMrBot.Policies.Reviewers;

// The data of reviewer and assignee selection. Everything here is pure: the reconciler resolves people
// through GitLab's API and hands the facts in; selection only decides.

/// <summary>Where a candidate came from: a matched policy, or a CODEOWNERS rule of a changed file.</summary>
/// <param name="Policy">The policy's name, or null for CODEOWNERS.</param>
/// <param name="Section">CODEOWNERS section.</param>
/// <param name="Pattern">CODEOWNERS pattern as written.</param>
/// <param name="Via">The owner reference that expanded to this user when it was not <c>@user</c> (a group, role or email).</param>
public sealed record CandidateSource(string? Policy, string? Section = null, string? Pattern = null, string? Via = null)
{
    public static CandidateSource FromPolicy(string policy) => new(policy);

    public static CandidateSource FromCodeOwners(string section, string pattern, string? via) => new(null, section, pattern, via);

    public bool IsCodeOwners => Policy is null;

    // Rules before the first section header belong to GitLab's unnamed default section: no name to show.
    public override string ToString() => IsCodeOwners
        ? $"CODEOWNERS {(Section == CodeOwners.CodeOwnersFile.DefaultSectionName ? "" : $"[{Section}] ")}{Pattern}{(Via is null ? "" : $" via {Via}")}"
        : $"policy {Policy}";
}

/// <summary>A user's GitLab status (<c>GET /users/:id/status</c>).</summary>
public sealed record UserStatus(string? Availability, string? Message, string? Emoji);

/// <summary>
/// What GitLab says about one candidate. <see cref="Id"/> is null when no such user exists.
/// <see cref="Status"/> and <see cref="Load"/> are null until looked up: selection asks for them only when it needs them.
/// </summary>
public sealed record PersonFacts(long? Id, bool Blocked = false, UserStatus? Status = null, int? Load = null)
{
    public static PersonFacts Unknown { get; } = new(Id: null);

    /// <summary>GitLab's spelling of the username, when known (a config may write it in another case).</summary>
    public string? Username { get; init; }

    /// <summary>False when a project's own file names the user and they are no member of the project; null: not asked.</summary>
    public bool? ProjectMember { get; init; }
}

/// <summary>Reviewer candidates of one matched policy and how many of them it wants.</summary>
public sealed record PolicyReviewers(string Policy, IReadOnlyList<string> Users, int Count);

/// <summary>A code owner of some changed file, already expanded to a username.</summary>
public sealed record CodeOwnerCandidate(string Username, CandidateSource Source);

public enum PassedOverReason
{
    Author,
    Bot,
    Excluded,
    Blocked,
    UnknownUser,
    Away,
    SlotsFilled,

    /// <summary>Picked, but GitLab did not keep them (GitLab Free keeps one reviewer), or the slots were filled by a human first.</summary>
    NotApplied,

    /// <summary>Named by a project's own file, but not a member of that project (last: stored decisions keep their numbers).</summary>
    NotProjectMember,
}

/// <summary>Someone who could have been picked and was not, and why (shown in the summary comment).</summary>
public sealed record PassedOver(string Username, PassedOverReason Reason, string Detail);

/// <summary>A person the bot requests (or assigns), with every rule that made them a candidate.</summary>
public sealed record PersonPick(string Username, long Id, IReadOnlyList<string> Why);

/// <summary>
/// The bot's decision for one MR's reviewers or assignees, remembered in the store so that later evaluations
/// neither pick again nor explain differently ("never churn"). <see cref="Applied"/> turns true once GitLab
/// accepted the write; from then on the bot never writes this list again on this MR. Once applied, <see cref="Picks"/>
/// holds only whom GitLab kept, and <see cref="Note"/> what the summary says about the rest.
/// </summary>
public sealed record PeopleDecision(IReadOnlyList<PersonPick> Picks, IReadOnlyList<PassedOver> PassedOver, bool Applied = false, string? Note = null);

/// <summary>
/// The reviewer and assignee part of a <see cref="Plan"/>: the steady state to explain, and the whole new id
/// lists to send in the same PUT as the labels (null: leave GitLab's list alone).
/// </summary>
public sealed record PeoplePlan
{
    /// <summary>Reviewers the bot requested (or is requesting now) and why; the steady state.</summary>
    public IReadOnlyList<PersonPick> Reviewers { get; init; } = [];

    public IReadOnlyList<PassedOver> PassedOver { get; init; } = [];

    /// <summary>Why no reviewer is requested, when none is ("the MR is a draft…").</summary>
    public string? ReviewersNote { get; init; }

    public IReadOnlyList<PersonPick> Assignees { get; init; } = [];

    public string? AssigneesNote { get; init; }

    /// <summary>
    /// The reviewer list as this decision read it plus the picks not yet requested; null: leave GitLab's list alone. The
    /// executor does not send it as is: it re-reads the list right before the PUT and adds <see cref="ReviewersToRequest"/>
    /// to what is there then (docs/gitlab-behaviour.md §3.2: the list is replaced whole).
    /// </summary>
    public IReadOnlyList<long>? ReviewerIds { get; init; }

    /// <summary>The picks this write requests (a subset of <see cref="Reviewers"/>), in order of preference.</summary>
    public IReadOnlyList<PersonPick> ReviewersToRequest { get; init; } = [];

    /// <summary>How many reviewers the MR should end up with at most (the target, within what GitLab keeps); null: no cap.</summary>
    public int? ReviewersWanted { get; init; }

    /// <summary>The assignee list to send, only while the MR has none (checked again right before the PUT).</summary>
    public IReadOnlyList<long>? AssigneeIds { get; init; }

    /// <summary>Decisions to mark applied in the store once the PUT succeeded.</summary>
    public bool ReviewersToCommit { get; init; }

    public bool AssigneesToCommit { get; init; }

    public bool HasChanges => ReviewerIds is not null || AssigneeIds is not null;

    public bool HasContent => Reviewers.Count > 0 || PassedOver.Count > 0 || ReviewersNote is not null || Assignees.Count > 0 || AssigneesNote is not null;
}
