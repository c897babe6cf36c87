namespace GitLabMrBot.Policies.Reviewers;

/// <summary>
/// Decides an MR's reviewers and assignees (issue 4) from a <see cref="PeopleSnapshot"/>, without I/O. The reader
/// calls it, fetches what <see cref="PeopleOutcome.Needs"/> names, and calls it again until it is complete.
/// </summary>
/// <remarks>
/// Never churn: the first decision that picks someone is stored before the PUT and marked applied after it.
/// From then on the bot never requests or assigns again on that MR, whatever happens next (a human removes a
/// reviewer, a push changes the owners, someone becomes available): later evaluations only explain the stored
/// decision, so the summary reads the same. If the store lost the decision, GitLab's system notes ("requested
/// review from @a" written by the bot) still stop it from asking again.
/// </remarks>
public static class PeopleDecider
{
    public static bool HasReviewerRules(CompiledConfig config) =>
        config.Reviewers.CodeOwners || config.Policies.Any(p => p.Then.Reviewers is not null);

    public static bool HasAssigneeRules(CompiledConfig config) =>
        config.Policies.Any(p => p.Then.Assignees is not null);

    public static PeopleOutcome Decide(PeopleSnapshot snapshot)
    {
        var reviewerRules = HasReviewerRules(snapshot.Config);
        var assigneeRules = HasAssigneeRules(snapshot.Config);
        if (!reviewerRules && !assigneeRules)
        {
            return new PeopleOutcome();
        }

        // The two parts set different fields of the plan and read different facts, so their needs are asked
        // together: one round of lookups serves both.
        var reviewers = reviewerRules ? Reviewers(snapshot) : Part.Done(new PeoplePlan());
        var assignees = assigneeRules ? Assignees(snapshot) : Part.Done(new PeoplePlan());
        var needs = reviewers.Needs.And(assignees.Needs);
        if (!needs.IsEmpty)
        {
            return new PeopleOutcome { Needs = needs };
        }
        return new PeopleOutcome
        {
            Plan = reviewers.Plan with
            {
                Assignees = assignees.Plan.Assignees,
                AssigneesNote = assignees.Plan.AssigneesNote,
                AssigneeIds = assignees.Plan.AssigneeIds,
                AssigneesToCommit = assignees.Plan.AssigneesToCommit,
            },
            ReviewersToSave = reviewers.Save,
            AssigneesToSave = assignees.Save,
            NewReviewers = reviewers.Picked,
        };
    }

    private static Part Reviewers(PeopleSnapshot snapshot)
    {
        var settings = snapshot.Config.Reviewers;
        var dryRun = snapshot.Config.DryRun;
        var currentNames = snapshot.Reviewers.Select(r => r.Username).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var waitingForReady = snapshot.Draft && settings.SkipDrafts;
        var people = new PeoplePlan();

        if (snapshot.StoredReviewers is { } decided)
        {
            people = people with { Reviewers = decided.Picks, PassedOver = decided.PassedOver, ReviewersNote = decided.Note };
            if (decided.Applied || waitingForReady)
            {
                return Part.Done(people);
            }
            // Decided earlier but not known to be applied (the PUT failed or its answer was lost): finish it, without
            // re-requesting anyone the bot already asked and a human has since removed.
            var pending = decided.Picks.Where(p => !currentNames.Contains(p.Username) && !snapshot.History.RequestedByBot.Contains(p.Username)).ToList();
            return Part.Done(people with
            {
                ReviewerIds = pending.Count == 0 ? null : [.. snapshot.Reviewers.Select(r => r.Id).Concat(pending.Select(p => p.Id)).Distinct()],
                ReviewersToRequest = pending,
                ReviewersToCommit = true,
            });
        }
        if (snapshot.History.RequestedByBot.Count > 0)
        {
            return Part.Done(people with
            {
                Reviewers = [.. snapshot.History.RequestedByBot.Order(StringComparer.OrdinalIgnoreCase).Select(u => new PersonPick(u, 0, ["requested by the bot earlier"]))],
            });
        }

        var policies = snapshot.MatchedPolicies
            .Where(p => p.Then.Reviewers is not null)
            .Select(p => new PolicyReviewers(p.Policy, p.Then.Reviewers!.Users, p.Then.Reviewers.Count ?? settings.Count))
            .ToList();
        if (policies.Count == 0 && !settings.CodeOwners)
        {
            return Part.Done(people);
        }
        if (waitingForReady)
        {
            return Part.Done(people with { ReviewersNote = "None requested while the merge request is a draft: reviewers are requested when it is marked ready." });
        }
        var target = ReviewerSelection.Target(settings, policies);
        if (snapshot.ReviewerLimit is { } limit && limit < target)
        {
            // GitLab Free keeps one reviewer (docs/gitlab-behaviour.md §3.2): ask for no more than it keeps.
            if (currentNames.Count >= limit)
            {
                return Part.Done(people with
                {
                    ReviewersNote = $"None requested: the merge request already has {Count(currentNames.Count, "reviewer")}, and this GitLab keeps {Count(limit, "reviewer")} per merge request (wanted: {target}).",
                });
            }
            target = limit;
        }
        if (currentNames.Count >= target)
        {
            return Part.Done(people with { ReviewersNote = $"None requested: the merge request already has {Count(currentNames.Count, "reviewer")} (wanted: {target})." });
        }

        if (settings.CodeOwners && snapshot.CodeOwners is null)
        {
            return Part.Need(new PeopleNeeds { CodeOwners = true });
        }
        var owners = settings.CodeOwners ? snapshot.CodeOwners! : [];
        var candidates = ReviewerSelection.Candidates(policies, owners);
        if (candidates.Count == 0)
        {
            return Part.Done(people with { ReviewersNote = "None requested: no matching policy names reviewers and CODEOWNERS names no owner of the changed files." });
        }
        var unknown = candidates.Where(u => !snapshot.People.ContainsKey(u)).ToList();
        if (unknown.Count > 0)
        {
            return Part.Need(new PeopleNeeds { Users = unknown });
        }
        long offset = 0;
        if (settings.Strategy == ReviewerStrategy.RoundRobin)
        {
            if (snapshot.RoundRobinOffset is not { } turn)
            {
                // Taken once every candidate is known, for the slots being filled.
                return Part.Need(new PeopleNeeds { RoundRobinSlots = target - currentNames.Count });
            }
            offset = turn;
        }

        var result = ReviewerSelection.Select(new SelectionInput
        {
            MergeRequest = snapshot.MergeRequest,
            Author = snapshot.Author?.Username ?? "",
            Bot = snapshot.Bot,
            Config = settings,
            CurrentReviewers = [.. currentNames],
            Policies = policies,
            CodeOwners = owners,
            People = snapshot.People,
            RoundRobinOffset = offset,
            MaxReviewers = target,
        });
        if (!result.Complete)
        {
            return Part.Need(new PeopleNeeds { Status = result.NeedStatus, Load = result.NeedLoad });
        }

        people = people with { PassedOver = result.PassedOver };
        if (result.Picks.Count == 0)
        {
            // Nothing decided, nothing stored: a later evaluation may find someone available.
            return Part.Done(people with { ReviewersNote = "None requested: no candidate is available." });
        }
        return new Part(
            people with
            {
                Reviewers = result.Picks,
                ReviewerIds = [.. snapshot.Reviewers.Select(r => r.Id).Concat(result.Picks.Select(p => p.Id)).Distinct()],
                ReviewersToRequest = result.Picks,
                ReviewersWanted = target,
                ReviewersToCommit = !dryRun,
            },
            PeopleNeeds.None,
            dryRun ? null : new PeopleDecision(result.Picks, result.PassedOver),
            result.Picks);
    }

    private static Part Assignees(PeopleSnapshot snapshot)
    {
        var dryRun = snapshot.Config.DryRun;
        var people = new PeoplePlan();
        if (snapshot.StoredAssignees is { } decided)
        {
            people = people with { Assignees = decided.Picks, AssigneesNote = decided.Note };
            if (decided.Applied)
            {
                return Part.Done(people);
            }
            var stillEmpty = snapshot.Assignees.Count == 0 && snapshot.History.AssignedByBot.Count == 0;
            return Part.Done(people with
            {
                AssigneeIds = stillEmpty ? [.. decided.Picks.Select(p => p.Id)] : null,
                AssigneesToCommit = true,
            });
        }
        if (snapshot.History.AssignedByBot.Count > 0)
        {
            return Part.Done(people with
            {
                Assignees = [.. snapshot.History.AssignedByBot.Order(StringComparer.OrdinalIgnoreCase).Select(u => new PersonPick(u, 0, ["assigned by the bot earlier"]))],
            });
        }

        // The first matching policy with assignees decides: GitLab Free keeps a single assignee anyway.
        var policy = snapshot.MatchedPolicies.FirstOrDefault(p => p.Then.Assignees is not null);
        if (policy is null)
        {
            return Part.Done(people);
        }
        if (snapshot.Assignees.Count > 0)
        {
            return Part.Done(people with { AssigneesNote = $"None set by policy {policy.Policy}: the merge request already has {Count(snapshot.Assignees.Count, "assignee")}." });
        }

        var picks = new List<PersonPick>();
        var skipped = new List<string>();
        if (policy.Then.Assignees!.Author)
        {
            if (snapshot.Author is { } author)
            {
                picks.Add(new PersonPick(author.Username, author.Id, [$"policy {policy.Policy}: the author"]));
            }
        }
        else
        {
            var unknown = policy.Then.Assignees.Users.Where(u => !snapshot.People.ContainsKey(u)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (unknown.Count > 0)
            {
                return Part.Need(new PeopleNeeds { Users = unknown });
            }
            foreach (var username in policy.Then.Assignees.Users)
            {
                var user = snapshot.People[username];
                if (user.Id is not { } id || user.Blocked)
                {
                    skipped.Add($"@{username} ({(user.Id is null ? "no such GitLab user" : "the account is blocked")})");
                    continue;
                }
                picks.Add(new PersonPick(user.Username ?? username, id, [$"policy {policy.Policy}"]));
            }
        }
        if (snapshot.AssigneeLimit is { } limit && picks.Count > limit)
        {
            // GitLab Free keeps one assignee (docs/gitlab-behaviour.md §3.2): the first in the policy's order.
            skipped.AddRange(picks.Skip(limit).Select(p => $"@{p.Username} (this GitLab keeps {Count(limit, "assignee")} per merge request)"));
            picks = [.. picks.Take(limit)];
        }
        var note = skipped.Count == 0 ? null : "Not assigned: " + string.Join(", ", skipped) + ".";
        if (picks.Count == 0)
        {
            return Part.Done(people with { AssigneesNote = note ?? $"None set by policy {policy.Policy}: nobody to assign." });
        }
        return new Part(
            people with
            {
                Assignees = picks,
                AssigneesNote = note,
                AssigneeIds = [.. picks.Select(p => p.Id)],
                AssigneesToCommit = !dryRun,
            },
            PeopleNeeds.None,
            dryRun ? null : new PeopleDecision(picks, [], Note: note),
            picks);
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    /// <summary>One half's result: its part of the plan, or what it still needs; and the decision to store.</summary>
    private sealed record Part(PeoplePlan Plan, PeopleNeeds Needs, PeopleDecision? Save, IReadOnlyList<PersonPick> Picked)
    {
        public static Part Done(PeoplePlan plan) => new(plan, PeopleNeeds.None, null, []);

        public static Part Need(PeopleNeeds needs) => new(new PeoplePlan(), needs, null, []);
    }
}
