using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Reviewers;

namespace GitLabMrBot.Processing.Reconciliation;

/// <summary>
/// Gathers what the pure <see cref="PeopleDecider"/> needs to choose an MR's reviewers and assignees: the MR's
/// people and the bot's system notes (already read), the stored decisions, and then, round by round, only the
/// facts the decider says it is missing (CODEOWNERS owners, users, the round-robin turn, statuses, review loads).
/// Asking first and fetching after keeps the GitLab calls per evaluation to what the decision reads.
/// </summary>
public sealed partial class PeopleReader(
    PeopleDirectory directory,
    CodeOwnersSource codeOwners,
    PeopleStore store,
    PeopleLimits limits,
    ILogger<PeopleReader> logger)
{
    /// <summary>The complete decision; its <see cref="PeopleOutcome.Plan"/> is null when no reviewer or assignee rule is configured.</summary>
    public async Task<PeopleOutcome> DecideAsync(MergeRequestRead read, Plan plan, CompiledConfig config, CancellationToken cancellationToken)
    {
        var reviewerRules = PeopleDecider.HasReviewerRules(config);
        var assigneeRules = PeopleDecider.HasAssigneeRules(config);
        if (!reviewerRules && !assigneeRules)
        {
            return new PeopleOutcome();
        }

        var mr = read.MergeRequest;
        var mergeRequest = plan.MergeRequest;
        var snapshot = new PeopleSnapshot
        {
            MergeRequest = mergeRequest,
            Config = config,
            MatchedPolicies = plan.MatchedPolicies,
            Author = mr.Author is { } author ? ToPerson(author) : null,
            Bot = read.Bot.Username,
            Draft = mr.Draft,
            Reviewers = [.. mr.Reviewers.Select(ToPerson)],
            Assignees = [.. mr.Assignees.Select(ToPerson)],
            History = PeopleHistory.FromBotSystemNotes(read.BotSystemNotes.Select(n => n.Body)),
            StoredReviewers = reviewerRules ? await store.ReviewersAsync(mergeRequest, cancellationToken) : null,
            StoredAssignees = assigneeRules ? await store.AssigneesAsync(mergeRequest, cancellationToken) : null,
            // What this project's MRs keep, once an answer of GitLab showed it (GitLab Free: one of each).
            ReviewerLimit = limits.Reviewers(mergeRequest.ProjectId),
            AssigneeLimit = limits.Assignees(mergeRequest.ProjectId),
        };

        var people = new Dictionary<string, PersonFacts>(StringComparer.OrdinalIgnoreCase);
        var outcome = PeopleDecider.Decide(snapshot);
        while (!outcome.Complete)
        {
            snapshot = await FetchAsync(read, snapshot, outcome.Needs, people, cancellationToken);
            outcome = PeopleDecider.Decide(snapshot);
        }

        if (outcome.NewReviewers.Count > 0 && logger.IsEnabled(LogLevel.Information))
        {
            var names = string.Join(",", outcome.NewReviewers.Select(p => p.Username));
            Log.ReviewersPicked(logger, mergeRequest.ProjectId, mergeRequest.Iid, names);
        }
        return outcome;
    }

    /// <summary>
    /// Fetches what <paramref name="needs"/> names and is not known yet. Every round adds at least one fact, so the
    /// loop ends: a round with nothing new would be a decider asking again for what it was given.
    /// </summary>
    private async Task<PeopleSnapshot> FetchAsync(
        MergeRequestRead read, PeopleSnapshot snapshot, PeopleNeeds needs, Dictionary<string, PersonFacts> people, CancellationToken cancellationToken)
    {
        var fetched = 0;
        if (needs.CodeOwners && snapshot.CodeOwners is null)
        {
            snapshot = snapshot with { CodeOwners = await CodeOwnerCandidatesAsync(read, people, cancellationToken) };
            fetched++;
        }
        foreach (var username in needs.Users.Where(u => !people.ContainsKey(u)))
        {
            var user = await directory.UserAsync(username, cancellationToken);
            people[username] = user is null ? PersonFacts.Unknown : Facts(user);
            if (user is not null && NamedByProjectFile(snapshot.Config, username))
            {
                // A project's own file may not bring in people from outside the project (docs/contract.md §5).
                people[username] = people[username] with
                {
                    ProjectMember = await directory.IsProjectMemberAsync(snapshot.MergeRequest.ProjectId, user.Id, cancellationToken),
                };
            }
            fetched++;
        }
        if (needs.RoundRobinSlots is { } slots && snapshot.RoundRobinOffset is null)
        {
            snapshot = snapshot with
            {
                RoundRobinOffset = await store.TakeRoundRobinTurnAsync(snapshot.MergeRequest, slots, snapshot.Config.DryRun, cancellationToken),
            };
            fetched++;
        }
        foreach (var username in needs.Load.Where(u => people[u].Load is null))
        {
            people[username] = people[username] with { Load = await directory.ReviewLoadAsync(people[username].Id!.Value, cancellationToken) };
            fetched++;
        }
        foreach (var username in needs.Status.Where(u => people[u].Status is null))
        {
            people[username] = people[username] with { Status = await directory.StatusAsync(people[username].Id!.Value, cancellationToken) };
            fetched++;
        }
        if (fetched == 0)
        {
            throw new InvalidOperationException($"The people decision for {snapshot.MergeRequest} asked again for facts it was given.");
        }
        // A copy: the snapshot handed to the decider does not change under it.
        return snapshot with { People = new Dictionary<string, PersonFacts>(people, StringComparer.OrdinalIgnoreCase) };
    }

    /// <summary>Owners of the changed files (old and new paths), expanded to users, in file and section order.</summary>
    private async Task<List<CodeOwnerCandidate>> CodeOwnerCandidatesAsync(MergeRequestRead read, Dictionary<string, PersonFacts> people, CancellationToken cancellationToken)
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
                        people[user.Username] = Facts(user);
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

    private static bool NamedByProjectFile(CompiledConfig config, string username) =>
        config.Policies.Any(p => p.Origin == PolicyOrigin.Project
            && (p.Then.Reviewers?.Users.Contains(username, StringComparer.OrdinalIgnoreCase) == true
                || p.Then.Assignees?.Users.Contains(username, StringComparer.OrdinalIgnoreCase) == true));

    private static PersonFacts Facts(DirectoryUser user) => new(user.Id, user.Blocked) { Username = user.Username };

    private static Person ToPerson(GitLabUser user) => new(user.Id, user.Username);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "{ProjectId}!{Iid} reviewers picked: {Reviewers}")]
        public static partial void ReviewersPicked(ILogger logger, long projectId, long iid, string reviewers);
    }
}
