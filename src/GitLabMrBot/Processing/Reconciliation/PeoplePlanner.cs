using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GitLabMrBot.Configuration;
using GitLabMrBot.Events;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Reviewers;
using GitLabMrBot.Processing;
using GitLabMrBot.Storage;
using GitLabMrBot.Storage.Postgres;
using GitLabMrBot.Storage.Sqlite;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>
/// Decides an MR's reviewers and assignees (issue 4): gathers candidates (matched policies, CODEOWNERS of the
/// changed files), asks GitLab only for the facts selection needs, lets the pure <see cref="ReviewerSelection"/>
/// decide, and remembers the decision in the store.
/// </summary>
/// <remarks>
/// Never churn: the first decision that picks someone is stored before the PUT and marked applied after it.
/// From then on the bot never requests or assigns again on that MR, whatever happens next (a human removes a
/// reviewer, a push changes the owners, someone becomes available): later evaluations only explain the stored
/// decision, so the summary reads the same. If the store lost the decision, GitLab's system notes ("requested
/// review from @a" written by the bot) still stop it from asking again.
/// </remarks>
public sealed partial class PeoplePlanner(
    PeopleDirectory directory,
    CodeOwnersSource codeOwners,
    IBotStateStore state,
    ILogger<PeoplePlanner> logger)
{
    public async Task<PeoplePlan?> DecideAsync(MergeRequestRead read, Plan plan, CompiledConfig config, CancellationToken cancellationToken)
    {
        var reviewerRules = config.Reviewers.CodeOwners || config.Policies.Any(p => p.Then.Reviewers is not null);
        var assigneeRules = config.Policies.Any(p => p.Then.Assignees is not null);
        if (!reviewerRules && !assigneeRules)
        {
            return null;
        }

        var history = PeopleHistory.FromBotSystemNotes(read.BotSystemNotes.Select(n => n.Body));
        var people = new PeoplePlan();
        if (reviewerRules)
        {
            people = await ReviewersAsync(read, plan, config, history, people, cancellationToken);
        }
        if (assigneeRules)
        {
            people = await AssigneesAsync(read, plan, config, history, people, cancellationToken);
        }
        return people;
    }

    /// <summary>Marks the decisions just written as applied: they are never written again.</summary>
    public async Task CommitAsync(MergeRequestRef mergeRequest, PeoplePlan people, CancellationToken cancellationToken)
    {
        if (people.ReviewersToCommit)
        {
            await MarkAppliedAsync(ReviewersKey(mergeRequest), cancellationToken);
        }
        if (people.AssigneesToCommit)
        {
            await MarkAppliedAsync(AssigneesKey(mergeRequest), cancellationToken);
        }
    }

    private async Task<PeoplePlan> ReviewersAsync(MergeRequestRead read, Plan plan, CompiledConfig config, PeopleHistory history, PeoplePlan people, CancellationToken cancellationToken)
    {
        var mr = read.MergeRequest;
        var mergeRequest = plan.MergeRequest;
        var settings = config.Reviewers;
        var currentNames = mr.Reviewers.Select(r => r.Username).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var waitingForReady = mr.Draft && settings.SkipDrafts;

        if (await LoadAsync(ReviewersKey(mergeRequest), cancellationToken) is { } decided)
        {
            people = people with { Reviewers = decided.Picks, PassedOver = decided.PassedOver };
            if (decided.Applied || waitingForReady)
            {
                return people;
            }
            // Decided earlier but not known to be applied (the PUT failed or its answer was lost): finish it, without
            // re-requesting anyone the bot already asked and a human has since removed.
            var pending = decided.Picks.Where(p => !currentNames.Contains(p.Username) && !history.RequestedByBot.Contains(p.Username)).ToList();
            return people with
            {
                ReviewerIds = pending.Count == 0 ? null : [.. mr.Reviewers.Select(r => r.Id).Concat(pending.Select(p => p.Id)).Distinct()],
                ReviewersToCommit = true,
            };
        }
        if (history.RequestedByBot.Count > 0)
        {
            return people with
            {
                Reviewers = [.. history.RequestedByBot.Order(StringComparer.OrdinalIgnoreCase).Select(u => new PersonPick(u, 0, ["requested by the bot earlier"]))],
            };
        }

        var policies = plan.MatchedPolicies
            .Where(p => p.Then.Reviewers is not null)
            .Select(p => new PolicyReviewers(p.Policy, p.Then.Reviewers!.Users, p.Then.Reviewers.Count ?? settings.Count))
            .ToList();
        if (policies.Count == 0 && !settings.CodeOwners)
        {
            return people;
        }
        if (waitingForReady)
        {
            return people with { ReviewersNote = "None requested while the merge request is a draft: reviewers are requested when it is marked ready." };
        }
        var target = ReviewerSelection.Target(settings, policies);
        if (currentNames.Count >= target)
        {
            return people with { ReviewersNote = $"None requested: the merge request already has {Count(currentNames.Count, "reviewer")} (wanted: {target})." };
        }

        var facts = new Dictionary<string, PersonFacts>(StringComparer.OrdinalIgnoreCase);
        var owners = settings.CodeOwners ? await CodeOwnerCandidatesAsync(read, facts, cancellationToken) : [];
        var candidates = ReviewerSelection.Candidates(policies, owners);
        if (candidates.Count == 0)
        {
            return people with { ReviewersNote = "None requested: no matching policy names reviewers and CODEOWNERS names no owner of the changed files." };
        }
        foreach (var username in candidates.Where(u => !facts.ContainsKey(u)))
        {
            var user = await directory.UserAsync(username, cancellationToken);
            facts[username] = user is null ? PersonFacts.Unknown : new PersonFacts(user.Id, user.Blocked);
        }

        var input = new SelectionInput
        {
            MergeRequest = mergeRequest,
            Author = mr.Author?.Username ?? "",
            Bot = read.Bot.Username,
            Config = settings,
            CurrentReviewers = [.. currentNames],
            Policies = policies,
            CodeOwners = owners,
            People = facts,
            RoundRobinOffset = settings.Strategy == ReviewerStrategy.RoundRobin
                ? await RoundRobinTurnAsync(mergeRequest, target - currentNames.Count, config.DryRun, cancellationToken)
                : 0,
        };
        var result = ReviewerSelection.Select(input);
        // Each round asks only for what the previous one could not decide without; it ends because every
        // round adds facts for at least one candidate that had none.
        for (var round = 0; !result.Complete && round <= candidates.Count * 2; round++)
        {
            foreach (var username in result.NeedLoad)
            {
                facts[username] = facts[username] with { Load = await directory.ReviewLoadAsync(facts[username].Id!.Value, cancellationToken) };
            }
            foreach (var username in result.NeedStatus)
            {
                facts[username] = facts[username] with { Status = await directory.StatusAsync(facts[username].Id!.Value, cancellationToken) };
            }
            result = ReviewerSelection.Select(input with { People = facts });
        }

        people = people with { PassedOver = result.PassedOver };
        if (result.Picks.Count == 0)
        {
            // Nothing decided, nothing stored: a later evaluation may find someone available.
            return people with { ReviewersNote = "None requested: no candidate is available." };
        }

        var decision = new PeopleDecision(result.Picks, result.PassedOver);
        if (!config.DryRun)
        {
            await SaveAsync(ReviewersKey(mergeRequest), decision, cancellationToken);
        }
        if (logger.IsEnabled(LogLevel.Information))
        {
            var names = string.Join(",", result.Picks.Select(p => p.Username));
            Log.ReviewersPicked(logger, mergeRequest.ProjectId, mergeRequest.Iid, names);
        }
        return people with
        {
            Reviewers = result.Picks,
            ReviewerIds = [.. mr.Reviewers.Select(r => r.Id).Concat(result.Picks.Select(p => p.Id)).Distinct()],
            ReviewersToCommit = !config.DryRun,
        };
    }

    /// <summary>Owners of the changed files (old and new paths), expanded to users, in file and section order.</summary>
    private async Task<List<CodeOwnerCandidate>> CodeOwnerCandidatesAsync(MergeRequestRead read, Dictionary<string, PersonFacts> facts, CancellationToken cancellationToken)
    {
        var mr = read.MergeRequest;
        var projectId = read.Snapshot.ProjectId;
        var (file, _) = await codeOwners.ReadAsync(projectId, mr.DiffRefs?.StartSha, mr.TargetBranch, cancellationToken);
        if (file.IsEmpty)
        {
            return [];
        }
        var paths = read.Snapshot.ChangedFiles
            .SelectMany(f => f.OldPath is { } old && old != f.Path ? new[] { f.Path, old } : [f.Path])
            .Distinct(StringComparer.Ordinal);

        var candidates = new List<CodeOwnerCandidate>();
        var seen = new HashSet<(string User, CandidateSource Source)>();
        foreach (var path in file.MatchAll(paths))
        {
            foreach (var match in path.Matches)
            {
                foreach (var owner in match.Owners)
                {
                    var via = owner.Kind == Policies.CodeOwners.CodeOwnerKind.Name && !owner.IsGroupPath ? null : owner.ToString();
                    foreach (var user in await directory.ExpandAsync(projectId, owner, cancellationToken))
                    {
                        // "@name" may have turned out to be a group: name the reference then.
                        var source = CandidateSource.FromCodeOwners(match.Section, match.Pattern,
                            via ?? (string.Equals(user.Username, owner.Value, StringComparison.OrdinalIgnoreCase) ? null : owner.ToString()));
                        facts[user.Username] = new PersonFacts(user.Id, user.Blocked);
                        if (seen.Add((user.Username.ToLowerInvariant(), source)))
                        {
                            candidates.Add(new CodeOwnerCandidate(user.Username, source));
                        }
                    }
                }
            }
        }
        return candidates;
    }

    private async Task<PeoplePlan> AssigneesAsync(MergeRequestRead read, Plan plan, CompiledConfig config, PeopleHistory history, PeoplePlan people, CancellationToken cancellationToken)
    {
        var mr = read.MergeRequest;
        var mergeRequest = plan.MergeRequest;
        if (await LoadAsync(AssigneesKey(mergeRequest), cancellationToken) is { } decided)
        {
            people = people with { Assignees = decided.Picks };
            if (decided.Applied)
            {
                return people;
            }
            var stillEmpty = mr.Assignees.Count == 0 && history.AssignedByBot.Count == 0;
            return people with
            {
                AssigneeIds = stillEmpty ? [.. decided.Picks.Select(p => p.Id)] : null,
                AssigneesToCommit = true,
            };
        }
        if (history.AssignedByBot.Count > 0)
        {
            return people with
            {
                Assignees = [.. history.AssignedByBot.Order(StringComparer.OrdinalIgnoreCase).Select(u => new PersonPick(u, 0, ["assigned by the bot earlier"]))],
            };
        }

        // The first matching policy with assignees decides: GitLab Free keeps a single assignee anyway.
        var policy = plan.MatchedPolicies.FirstOrDefault(p => p.Then.Assignees is not null);
        if (policy is null)
        {
            return people;
        }
        if (mr.Assignees.Count > 0)
        {
            return people with { AssigneesNote = $"None set by policy {policy.Policy}: the merge request already has {Count(mr.Assignees.Count, "assignee")}." };
        }

        var picks = new List<PersonPick>();
        var skipped = new List<string>();
        if (policy.Then.Assignees!.Author)
        {
            if (mr.Author is { } author)
            {
                picks.Add(new PersonPick(author.Username, author.Id, [$"policy {policy.Policy}: the author"]));
            }
        }
        else
        {
            foreach (var username in policy.Then.Assignees.Users)
            {
                var user = await directory.UserAsync(username, cancellationToken);
                if (user is null || user.Blocked)
                {
                    skipped.Add($"@{username} ({(user is null ? "no such GitLab user" : "the account is blocked")})");
                    continue;
                }
                picks.Add(new PersonPick(user.Username, user.Id, [$"policy {policy.Policy}"]));
            }
        }
        var note = skipped.Count == 0 ? null : "Not assigned: " + string.Join(", ", skipped) + ".";
        if (picks.Count == 0)
        {
            return people with { AssigneesNote = note ?? $"None set by policy {policy.Policy}: nobody to assign." };
        }

        if (!config.DryRun)
        {
            await SaveAsync(AssigneesKey(mergeRequest), new PeopleDecision(picks, []), cancellationToken);
        }
        return people with
        {
            Assignees = picks,
            AssigneesNote = note,
            AssigneeIds = [.. picks.Select(p => p.Id)],
            AssigneesToCommit = !config.DryRun,
        };
    }

    /// <summary>
    /// Takes this MR's turn from the project's round-robin counter: the counter moves on by the slots being filled,
    /// atomically, so concurrent MRs (even on several instances) start at different people.
    /// </summary>
    private async Task<long> RoundRobinTurnAsync(MergeRequestRef mergeRequest, int slots, bool dryRun, CancellationToken cancellationToken)
    {
        var key = string.Create(CultureInfo.InvariantCulture, $"round-robin:{mergeRequest.ProjectId}");
        if (dryRun)
        {
            return long.TryParse(await state.GetAsync(key, cancellationToken), NumberStyles.Integer, CultureInfo.InvariantCulture, out var now) ? now : 0;
        }
        return await state.IncrementAsync(key, slots, cancellationToken) - slots;
    }

    private static string ReviewersKey(MergeRequestRef mr) => string.Create(CultureInfo.InvariantCulture, $"reviewers:{mr.ProjectId}:{mr.Iid}");

    private static string AssigneesKey(MergeRequestRef mr) => string.Create(CultureInfo.InvariantCulture, $"assignees:{mr.ProjectId}:{mr.Iid}");

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private async Task<PeopleDecision?> LoadAsync(string key, CancellationToken cancellationToken)
    {
        var json = await state.GetAsync(key, cancellationToken);
        if (json is null)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(json, PeopleJsonContext.Default.PeopleDecision);
        }
        catch (JsonException e)
        {
            // An unreadable record is treated as absent; GitLab's system notes still prevent asking twice.
            Log.UnreadableDecision(logger, key, e.Message);
            return null;
        }
    }

    private Task SaveAsync(string key, PeopleDecision decision, CancellationToken cancellationToken) =>
        state.SetAsync(key, JsonSerializer.Serialize(decision, PeopleJsonContext.Default.PeopleDecision), cancellationToken);

    private async Task MarkAppliedAsync(string key, CancellationToken cancellationToken)
    {
        if (await LoadAsync(key, cancellationToken) is { Applied: false } decision)
        {
            await SaveAsync(key, decision with { Applied = true }, cancellationToken);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "{ProjectId}!{Iid} reviewers picked: {Reviewers}")]
        public static partial void ReviewersPicked(ILogger logger, long projectId, long iid, string reviewers);

        [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "Stored decision {Key} is unreadable and ignored: {Error}")]
        public static partial void UnreadableDecision(ILogger logger, string key, string error);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(PeopleDecision))]
internal sealed partial class PeopleJsonContext : JsonSerializerContext;
