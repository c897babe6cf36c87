using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using GitLabMrBot.Events;

namespace GitLabMrBot.Policies.Reviewers;

/// <summary>Everything reviewer selection reads. <see cref="People"/> is keyed by username, case-insensitively.</summary>
public sealed record SelectionInput
{
    public required MergeRequestRef MergeRequest { get; init; }
    public required string Author { get; init; }
    public required string Bot { get; init; }
    public required CompiledReviewers Config { get; init; }

    /// <summary>Usernames of the reviewers the MR has now (whoever set them): they stay, and they fill slots.</summary>
    public IReadOnlyList<string> CurrentReviewers { get; init; } = [];

    /// <summary>Matched policies with <c>reviewers</c>, in config order.</summary>
    public IReadOnlyList<PolicyReviewers> Policies { get; init; } = [];

    /// <summary>Owners of the changed files (with <c>codeOwners</c>), in file and section order; a user may appear several times.</summary>
    public IReadOnlyList<CodeOwnerCandidate> CodeOwners { get; init; } = [];

    public IReadOnlyDictionary<string, PersonFacts> People { get; init; } = new Dictionary<string, PersonFacts>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Where the project's round-robin turn stands (from the store); used only by <see cref="ReviewerStrategy.RoundRobin"/>.</summary>
    public long RoundRobinOffset { get; init; }

    /// <summary>A cap below the configured target (GitLab Free keeps one reviewer); null: the target alone.</summary>
    public int? MaxReviewers { get; init; }
}

/// <summary>
/// The outcome of one selection pass. When <see cref="NeedStatus"/> or <see cref="NeedLoad"/> is not empty the
/// pass stopped early: look those facts up, add them to <see cref="SelectionInput.People"/> and select again.
/// This is how selection stays pure while the reconciler asks GitLab only for what the decision needs.
/// </summary>
public sealed record SelectionResult(
    IReadOnlyList<PersonPick> Picks,
    IReadOnlyList<PassedOver> PassedOver,
    IReadOnlyList<string> NeedStatus,
    IReadOnlyList<string> NeedLoad)
{
    public bool Complete => NeedStatus.Count == 0 && NeedLoad.Count == 0;
}

/// <summary>
/// Picks reviewers to fill empty slots (docs/contract.md §5 <c>reviewers</c>). Rules:
/// <list type="bullet">
/// <item>An MR should have <c>max(reviewers.count, each matched policy's count)</c> reviewers. Reviewers it already has
/// count, and are never removed.</item>
/// <item>Matched policies go first, in config order: each asks for its <c>count</c> of its own <c>users</c> (current
/// reviewers among them count). Then, with <c>codeOwners</c>, owners of the changed files fill what is left.</item>
/// <item>Never the author, the bot, <c>exclude</c>, unknown or blocked users; with <c>skipBusy</c>, nobody whose
/// GitLab status says busy or away (<see cref="Availability"/>).</item>
/// <item>Order: <c>random</c> is a shuffle seeded by project id, MR iid and username (the same MR always gets the
/// same order, and adding a candidate never reorders the others); <c>least-loaded</c> is fewest open reviews, ties
/// broken by that shuffle; <c>round-robin</c> walks the sorted candidates from the project's turn counter.</item>
/// </list>
/// </summary>
public static class ReviewerSelection
{
    /// <summary>How many reviewers the MR should end up with.</summary>
    public static int Target(CompiledReviewers config, IEnumerable<PolicyReviewers> policies) =>
        policies.Select(p => p.Count).Append(config.Count).Max();

    /// <summary>Every username selection may consider, for the reconciler to resolve first.</summary>
    public static IReadOnlyList<string> Candidates(IEnumerable<PolicyReviewers> policies, IEnumerable<CodeOwnerCandidate> codeOwners) =>
        [.. policies.SelectMany(p => p.Users).Concat(codeOwners.Select(c => c.Username)).Distinct(StringComparer.OrdinalIgnoreCase)];

    public static SelectionResult Select(SelectionInput input)
    {
        var config = input.Config;
        var target = Math.Min(Target(config, input.Policies), input.MaxReviewers ?? int.MaxValue);
        var current = new HashSet<string>(input.CurrentReviewers, StringComparer.OrdinalIgnoreCase);
        var picked = new List<string>();
        var passed = new Dictionary<string, PassedOver>(StringComparer.OrdinalIgnoreCase);
        var why = Sources(input);

        var steps = input.Policies
            .Select(p => (Users: (IReadOnlyList<string>)p.Users, Quota: (int?)p.Count))
            .ToList();
        if (config.CodeOwners)
        {
            steps.Add((input.CodeOwners.Select(c => c.Username).Distinct(StringComparer.OrdinalIgnoreCase).ToList(), null));
        }

        foreach (var (users, quota) in steps)
        {
            var taken = current.Count + picked.Count;
            var need = target - taken;
            if (quota is { } q)
            {
                var mine = users.Count(u => current.Contains(u) || picked.Contains(u, StringComparer.OrdinalIgnoreCase));
                need = Math.Min(need, q - mine);
            }

            var eligible = new List<string>();
            foreach (var user in users.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (current.Contains(user) || picked.Contains(user, StringComparer.OrdinalIgnoreCase) || passed.ContainsKey(user))
                {
                    continue;
                }
                if (Ineligible(input, user) is { } no)
                {
                    passed[user] = no;
                    continue;
                }
                eligible.Add(user);
            }
            if (need <= 0 || eligible.Count == 0)
            {
                continue;
            }

            if (config.Strategy == ReviewerStrategy.LeastLoaded)
            {
                var missing = eligible.Where(u => Facts(input, u).Load is null).ToList();
                if (missing.Count > 0)
                {
                    return Incomplete(picked, passed, why, input, [], missing);
                }
            }

            var order = Order(input, users, eligible);
            var pickedHere = 0;
            for (var i = 0; i < order.Count && pickedHere < need; i++)
            {
                var user = order[i];
                if (config.SkipBusy)
                {
                    var facts = Facts(input, user);
                    if (facts.Status is null)
                    {
                        // Ask for this one and as many after it as could still be needed, in one round.
                        var ask = order.Skip(i).Where(u => Facts(input, u).Status is null).Take(need - pickedHere).ToList();
                        return Incomplete(picked, passed, why, input, ask, []);
                    }
                    if (Availability.AwayBecause(facts.Status) is { } away)
                    {
                        passed[user] = new PassedOver(user, PassedOverReason.Away, away);
                        continue;
                    }
                }
                picked.Add(user);
                pickedHere++;
            }
        }

        // Candidates left over once the slots were filled.
        foreach (var user in why.Keys)
        {
            if (!current.Contains(user) && !picked.Contains(user, StringComparer.OrdinalIgnoreCase) && !passed.ContainsKey(user))
            {
                passed[user] = Ineligible(input, user) ?? new PassedOver(user, PassedOverReason.SlotsFilled, $"the {target} reviewer slots are filled");
            }
        }
        return new SelectionResult(Picks(picked, why, input), Ordered(passed, why), [], []);
    }

    private static SelectionResult Incomplete(
        List<string> picked, Dictionary<string, PassedOver> passed, Dictionary<string, List<string>> why, SelectionInput input,
        IReadOnlyList<string> needStatus, IReadOnlyList<string> needLoad) =>
        new(Picks(picked, why, input), Ordered(passed, why), needStatus, needLoad);

    private static List<PersonPick> Picks(List<string> picked, Dictionary<string, List<string>> why, SelectionInput input) =>
        [.. picked.Select(u => new PersonPick(u, Facts(input, u).Id!.Value, why[u]))];

    private static List<PassedOver> Ordered(Dictionary<string, PassedOver> passed, Dictionary<string, List<string>> why) =>
        [.. why.Keys.Where(passed.ContainsKey).Select(u => passed[u])];

    /// <summary>Each candidate's reasons, in first-seen order: policies first, then CODEOWNERS rules.</summary>
    private static Dictionary<string, List<string>> Sources(SelectionInput input)
    {
        var why = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        void Add(string user, CandidateSource source)
        {
            if (!why.TryGetValue(user, out var list))
            {
                why[user] = list = [];
            }
            var text = source.ToString();
            if (!list.Contains(text, StringComparer.Ordinal))
            {
                list.Add(text);
            }
        }
        foreach (var policy in input.Policies)
        {
            foreach (var user in policy.Users)
            {
                Add(user, CandidateSource.FromPolicy(policy.Policy));
            }
        }
        if (input.Config.CodeOwners)
        {
            foreach (var owner in input.CodeOwners)
            {
                Add(owner.Username, owner.Source);
            }
        }
        return why;
    }

    private static PersonFacts Facts(SelectionInput input, string user) =>
        input.People.TryGetValue(user, out var facts) ? facts : PersonFacts.Unknown;

    private static PassedOver? Ineligible(SelectionInput input, string user)
    {
        if (string.Equals(user, input.Author, StringComparison.OrdinalIgnoreCase))
        {
            return new PassedOver(user, PassedOverReason.Author, "the author");
        }
        if (string.Equals(user, input.Bot, StringComparison.OrdinalIgnoreCase))
        {
            return new PassedOver(user, PassedOverReason.Bot, "the bot itself");
        }
        if (input.Config.Exclude.Contains(user))
        {
            return new PassedOver(user, PassedOverReason.Excluded, "listed in reviewers.exclude");
        }
        var facts = Facts(input, user);
        if (facts.Id is null)
        {
            return new PassedOver(user, PassedOverReason.UnknownUser, "no such GitLab user");
        }
        if (facts.Blocked)
        {
            return new PassedOver(user, PassedOverReason.Blocked, "the account is blocked");
        }
        if (facts.ProjectMember == false)
        {
            return new PassedOver(user, PassedOverReason.NotProjectMember, "not a member of this project (named by the project's own policy file)");
        }
        return null;
    }

    private static List<string> Order(SelectionInput input, IReadOnlyList<string> pool, List<string> eligible)
    {
        switch (input.Config.Strategy)
        {
            case ReviewerStrategy.RoundRobin:
                var sorted = pool.Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToList();
                var start = (int)(((input.RoundRobinOffset % sorted.Count) + sorted.Count) % sorted.Count);
                var set = new HashSet<string>(eligible, StringComparer.OrdinalIgnoreCase);
                return [.. sorted.Skip(start).Concat(sorted.Take(start)).Where(set.Contains)];
            case ReviewerStrategy.LeastLoaded:
                return [.. eligible.OrderBy(u => Facts(input, u).Load ?? int.MaxValue).ThenBy(u => ShuffleKey(input.MergeRequest, u)).ThenBy(u => u, StringComparer.Ordinal)];
            default:
                return [.. eligible.OrderBy(u => ShuffleKey(input.MergeRequest, u)).ThenBy(u => u, StringComparer.Ordinal)];
        }
    }

    /// <summary>A stable pseudo-random key per (project, MR, user): the same on every run, machine and .NET version.</summary>
    internal static ulong ShuffleKey(MergeRequestRef mergeRequest, string username)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{mergeRequest.ProjectId}:{mergeRequest.Iid}:{username.ToLowerInvariant()}"), hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }
}
