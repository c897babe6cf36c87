using GitLabMrBot.Events;

namespace GitLabMrBot.Policies.Reviewers;

// The data of the people decision: what PeopleDecider reads, what it asks for, and what it returns.

/// <summary>Someone already on the MR (its author, a reviewer, an assignee), as GitLab reports them.</summary>
public sealed record Person(long Id, string Username);

/// <summary>
/// Everything the reviewer and assignee decision reads about one MR. The facts GitLab is asked for only when
/// the decision needs them (<see cref="CodeOwners"/>, <see cref="People"/>, <see cref="RoundRobinOffset"/>) start
/// out empty: <see cref="PeopleDecider.Decide"/> names what it is missing in <see cref="PeopleOutcome.Needs"/>.
/// </summary>
public sealed record PeopleSnapshot
{
    public required MergeRequestRef MergeRequest { get; init; }
    public required CompiledConfig Config { get; init; }

    /// <summary>Policies whose conditions hold, in config order (their <c>reviewers</c> and <c>assignees</c> actions).</summary>
    public IReadOnlyList<PolicyMatch> MatchedPolicies { get; init; } = [];

    /// <summary>Null when GitLab did not say.</summary>
    public Person? Author { get; init; }

    /// <summary>The bot's own username: never requested.</summary>
    public string Bot { get; init; } = "";

    public bool Draft { get; init; }

    /// <summary>The reviewers the MR has now, whoever set them.</summary>
    public IReadOnlyList<Person> Reviewers { get; init; } = [];

    /// <summary>The assignees the MR has now, whoever set them.</summary>
    public IReadOnlyList<Person> Assignees { get; init; } = [];

    /// <summary>Whom the bot requested or assigned before, from GitLab's system notes.</summary>
    public PeopleHistory History { get; init; } = PeopleHistory.None;

    /// <summary>The reviewer decision stored by an earlier evaluation, if any.</summary>
    public PeopleDecision? StoredReviewers { get; init; }

    /// <summary>The assignee decision stored by an earlier evaluation, if any.</summary>
    public PeopleDecision? StoredAssignees { get; init; }

    /// <summary>Owners of the changed files, expanded to users; null until read (<see cref="PeopleNeeds.CodeOwners"/>).</summary>
    public IReadOnlyList<CodeOwnerCandidate>? CodeOwners { get; init; }

    /// <summary>What GitLab said about each looked-up username, keyed case-insensitively; a name missing here is not looked up yet.</summary>
    public IReadOnlyDictionary<string, PersonFacts> People { get; init; } = new Dictionary<string, PersonFacts>(StringComparer.OrdinalIgnoreCase);

    /// <summary>This MR's turn of the project's round-robin counter; null until taken (<see cref="PeopleNeeds.RoundRobinSlots"/>).</summary>
    public long? RoundRobinOffset { get; init; }

    /// <summary>The most reviewers GitLab keeps on this project's MRs (1 on GitLab Free, once learnt); null: no known limit.</summary>
    public int? ReviewerLimit { get; init; }

    /// <summary>The most assignees GitLab keeps on this project's MRs (1 on GitLab Free, once learnt); null: no known limit.</summary>
    public int? AssigneeLimit { get; init; }
}

/// <summary>
/// The facts a decision pass stopped for. Each list holds only what is still missing, so a reader that fetches
/// exactly these asks GitLab nothing the decision could do without.
/// </summary>
public sealed record PeopleNeeds
{
    public static PeopleNeeds None { get; } = new();

    /// <summary>Read the target branch's CODEOWNERS and expand the owners of the changed files (into <see cref="PeopleSnapshot.CodeOwners"/> and <see cref="PeopleSnapshot.People"/>).</summary>
    public bool CodeOwners { get; init; }

    /// <summary>Usernames to look up (id, blocked) into <see cref="PeopleSnapshot.People"/>.</summary>
    public IReadOnlyList<string> Users { get; init; } = [];

    /// <summary>Take this MR's round-robin turn for this many slots (<see cref="PeopleSnapshot.RoundRobinOffset"/>).</summary>
    public int? RoundRobinSlots { get; init; }

    /// <summary>Known users whose GitLab status is needed.</summary>
    public IReadOnlyList<string> Status { get; init; } = [];

    /// <summary>Known users whose review load is needed.</summary>
    public IReadOnlyList<string> Load { get; init; } = [];

    public bool IsEmpty => !CodeOwners && Users.Count == 0 && RoundRobinSlots is null && Status.Count == 0 && Load.Count == 0;

    internal PeopleNeeds And(PeopleNeeds other) => new()
    {
        CodeOwners = CodeOwners || other.CodeOwners,
        Users = [.. Users.Concat(other.Users).Distinct(StringComparer.OrdinalIgnoreCase)],
        RoundRobinSlots = RoundRobinSlots ?? other.RoundRobinSlots,
        Status = [.. Status.Concat(other.Status).Distinct(StringComparer.OrdinalIgnoreCase)],
        Load = [.. Load.Concat(other.Load).Distinct(StringComparer.OrdinalIgnoreCase)],
    };
}

/// <summary>
/// One decision pass. While <see cref="Needs"/> is not empty the pass is unfinished and nothing else is set.
/// Once complete: <see cref="Plan"/> (null when no reviewer or assignee rule is configured) and the decisions to
/// store before the plan is applied (none in a dry run: nothing is written then).
/// </summary>
public sealed record PeopleOutcome
{
    public PeopleNeeds Needs { get; init; } = PeopleNeeds.None;

    public bool Complete => Needs.IsEmpty;

    public PeoplePlan? Plan { get; init; }

    public PeopleDecision? ReviewersToSave { get; init; }

    public PeopleDecision? AssigneesToSave { get; init; }

    /// <summary>Reviewers picked by this pass (dry run or not); empty when an earlier decision stands.</summary>
    public IReadOnlyList<PersonPick> NewReviewers { get; init; } = [];
}
