using GitLabMrBot.Events;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Reviewers;

namespace GitLabMrBot.UnitTests.Policies.Reviewers;

public sealed class PeopleDeciderTests
{
    private static readonly Person Alice = new(1, "alice");
    private static readonly Person Dave = new(4, "dave");

    /// <summary>What GitLab would answer about each username; "ghost" does not exist.</summary>
    private static readonly Dictionary<string, PersonFacts> Directory = new(StringComparer.OrdinalIgnoreCase)
    {
        ["alice"] = new PersonFacts(1) { Username = "alice" },
        ["bob"] = new PersonFacts(2) { Username = "bob" },
        ["carol"] = new PersonFacts(3) { Username = "carol" },
        ["dave"] = new PersonFacts(4) { Username = "dave" },
        ["erin"] = new PersonFacts(5) { Username = "erin" },
        ["mrbot"] = new PersonFacts(7) { Username = "mrbot" },
        ["blocky"] = new PersonFacts(8, Blocked: true) { Username = "blocky" },
        ["ghost"] = PersonFacts.Unknown,
    };

    private static CompiledConfig Config(string reviewers = """{ "count": 1, "codeOwners": true, "strategy": "random" }""", string policies = "", bool dryRun = false) =>
        PolicyTestKit.Compile($$"""{ "policies": [{{policies}}], "reviewers": {{reviewers}}, "dryRun": {{(dryRun ? "true" : "false")}} }""");

    private static string Policy(string name, string then) =>
        $$"""{ "name": "{{name}}", "when": { "changedFiles": ["**"] }, "then": { "addLabels": ["x"], {{then}} } }""";

    /// <summary>An open, non-draft MR by alice on which every configured policy matched.</summary>
    private static PeopleSnapshot Snapshot(CompiledConfig config) => new()
    {
        MergeRequest = new MergeRequestRef(7, 42),
        Config = config,
        MatchedPolicies = [.. config.Policies.Select(p => new PolicyMatch(p.Name, "matched", p.Then))],
        Author = Alice,
        Bot = "mrbot",
    };

    private static CodeOwnerCandidate Owner(string user) => new(user, CandidateSource.FromCodeOwners("Backend", "/src/", null));

    /// <summary>
    /// Decides as the reader does: answers each need (CODEOWNERS from <paramref name="owners"/>, users from
    /// <see cref="Directory"/>, statuses from <paramref name="statuses"/>, loads 0, the turn <paramref name="turn"/>)
    /// until the outcome is complete; returns every set of needs asked on the way.
    /// </summary>
    private static (PeopleOutcome Outcome, List<PeopleNeeds> Asked) Settle(
        PeopleSnapshot snapshot, CodeOwnerCandidate[]? owners = null, Dictionary<string, UserStatus>? statuses = null, long turn = 0)
    {
        var asked = new List<PeopleNeeds>();
        var outcome = PeopleDecider.Decide(snapshot);
        while (!outcome.Complete)
        {
            Assert.True(asked.Count < 20, "the decision kept asking for facts");
            var needs = outcome.Needs;
            asked.Add(needs);
            var people = new Dictionary<string, PersonFacts>(snapshot.People, StringComparer.OrdinalIgnoreCase);
            foreach (var user in needs.Users)
            {
                people[user] = Directory[user];
            }
            foreach (var user in needs.Status)
            {
                people[user] = people[user] with { Status = statuses?.GetValueOrDefault(user) ?? new UserStatus("not_set", null, null) };
            }
            foreach (var user in needs.Load)
            {
                people[user] = people[user] with { Load = 0 };
            }
            snapshot = snapshot with
            {
                People = people,
                CodeOwners = needs.CodeOwners ? owners ?? [] : snapshot.CodeOwners,
                RoundRobinOffset = needs.RoundRobinSlots is null ? snapshot.RoundRobinOffset : turn,
            };
            outcome = PeopleDecider.Decide(snapshot);
        }
        Assert.NotNull(outcome.Plan);
        return (outcome, asked);
    }

    private static string[] Names(IEnumerable<PersonPick> picks) => [.. picks.Select(p => p.Username)];

    [Fact]
    public void Without_reviewer_or_assignee_rules_there_is_no_people_plan_and_nothing_is_asked()
    {
        var outcome = PeopleDecider.Decide(Snapshot(Config(reviewers: """{ "count": 2 }""", policies: Policy("p", "\"comment\": \"hi\""))));

        Assert.True(outcome.Complete);
        Assert.Null(outcome.Plan);
        Assert.Null(outcome.ReviewersToSave);
    }

    [Fact]
    public void Fills_only_the_empty_slots_keeping_the_reviewers_a_human_chose()
    {
        var snapshot = Snapshot(Config(reviewers: """{ "count": 2, "codeOwners": true, "strategy": "random" }""")) with { Reviewers = [Dave] };

        var (outcome, _) = Settle(snapshot, owners: [Owner("bob"), Owner("carol"), Owner("erin")]);

        var plan = outcome.Plan!;
        var pick = Assert.Single(plan.Reviewers);
        Assert.NotEqual("dave", pick.Username);
        // The whole list GitLab gets: the human's reviewer first, then the one pick.
        Assert.Equal([Dave.Id, pick.Id], plan.ReviewerIds);
        Assert.True(plan.ReviewersToCommit);
        Assert.Equal(plan.Reviewers, outcome.ReviewersToSave!.Picks);
        Assert.Equal(plan.Reviewers, outcome.NewReviewers);
    }

    [Fact]
    public void An_MR_with_enough_reviewers_gets_none_and_asks_GitLab_nothing()
    {
        var snapshot = Snapshot(Config()) with { Reviewers = [Dave] };

        var outcome = PeopleDecider.Decide(snapshot);

        Assert.True(outcome.Complete);
        Assert.Null(outcome.Plan!.ReviewerIds);
        Assert.Equal("None requested: the merge request already has 1 reviewer (wanted: 1).", outcome.Plan.ReviewersNote);
        Assert.Null(outcome.ReviewersToSave);
    }

    [Fact]
    public void A_reviewer_the_bot_requested_and_a_human_removed_is_not_replaced()
    {
        // No stored decision (the store was lost), but GitLab's system notes say the bot asked bob once.
        var snapshot = Snapshot(Config()) with { History = PeopleHistory.FromBotSystemNotes(["requested review from @bob"]) };

        var outcome = PeopleDecider.Decide(snapshot);

        Assert.True(outcome.Complete);
        Assert.Null(outcome.Plan!.ReviewerIds);
        Assert.Equal(["bob"], Names(outcome.Plan.Reviewers));
        Assert.Null(outcome.ReviewersToSave);
    }

    [Fact]
    public void A_draft_waits_with_skipDrafts_and_asks_GitLab_nothing()
    {
        var draft = Snapshot(Config(reviewers: """{ "count": 1, "codeOwners": true, "skipDrafts": true }""")) with { Draft = true };

        var outcome = PeopleDecider.Decide(draft);

        Assert.True(outcome.Complete);
        Assert.Null(outcome.Plan!.ReviewerIds);
        Assert.Contains("marked ready", outcome.Plan.ReviewersNote, StringComparison.Ordinal);
        Assert.Null(outcome.ReviewersToSave);
    }

    [Fact]
    public void A_draft_gets_reviewers_without_skipDrafts()
    {
        var draft = Snapshot(Config(reviewers: """{ "count": 1, "codeOwners": true, "skipDrafts": false }""")) with { Draft = true };

        var (outcome, _) = Settle(draft, owners: [Owner("bob")]);

        Assert.Equal(["bob"], Names(outcome.Plan!.Reviewers));
        Assert.Equal([2L], outcome.Plan.ReviewerIds);
    }

    [Fact]
    public void A_stored_but_unapplied_decision_is_finished_without_re_requesting_whom_a_human_removed()
    {
        // bob and carol were decided; the PUT's answer was lost. GitLab shows the bot did request bob, and a human has
        // taken him off since: only carol is still to be requested, and nothing is picked or stored again.
        var stored = new PeopleDecision([new PersonPick("bob", 2, ["x"]), new PersonPick("carol", 3, ["y"])], [], Applied: false);
        var snapshot = Snapshot(Config(reviewers: """{ "count": 2, "codeOwners": true }""")) with
        {
            StoredReviewers = stored,
            Reviewers = [Dave],
            History = PeopleHistory.FromBotSystemNotes(["requested review from @bob"]),
        };

        var outcome = PeopleDecider.Decide(snapshot);

        Assert.True(outcome.Complete);
        Assert.Equal([Dave.Id, 3L], outcome.Plan!.ReviewerIds);
        Assert.Equal(stored.Picks, outcome.Plan.Reviewers);
        Assert.True(outcome.Plan.ReviewersToCommit);
        Assert.Null(outcome.ReviewersToSave);
        Assert.Empty(outcome.NewReviewers);
    }

    [Fact]
    public void A_stored_decision_already_on_the_MR_is_only_marked_applied()
    {
        var stored = new PeopleDecision([new PersonPick("carol", 3, ["y"])], [], Applied: false);
        var snapshot = Snapshot(Config()) with { StoredReviewers = stored, Reviewers = [new Person(3, "carol")] };

        var plan = PeopleDecider.Decide(snapshot).Plan!;

        Assert.Null(plan.ReviewerIds);
        Assert.True(plan.ReviewersToCommit);
    }

    [Fact]
    public void An_applied_decision_is_explained_and_never_written_again()
    {
        var stored = new PeopleDecision([new PersonPick("carol", 3, ["y"])], [new PassedOver("bob", PassedOverReason.Away, "status is busy")], Applied: true);
        // A human removed carol since: the slot stays empty.
        var snapshot = Snapshot(Config()) with { StoredReviewers = stored };

        var outcome = PeopleDecider.Decide(snapshot);

        Assert.True(outcome.Complete);
        Assert.Null(outcome.Plan!.ReviewerIds);
        Assert.False(outcome.Plan.ReviewersToCommit);
        Assert.Equal(stored.Picks, outcome.Plan.Reviewers);
        Assert.Equal(stored.PassedOver, outcome.Plan.PassedOver);
    }

    [Fact]
    public void Blocked_and_unknown_reviewer_candidates_are_passed_over_with_a_reason()
    {
        var config = Config(reviewers: """{ "count": 1, "codeOwners": false }""", policies: Policy("api", """ "reviewers": { "users": ["ghost", "blocky", "bob"] } """));

        var (outcome, _) = Settle(Snapshot(config));

        Assert.Equal(["bob"], Names(outcome.Plan!.Reviewers));
        Assert.Contains(outcome.Plan.PassedOver, p => p is { Username: "ghost", Reason: PassedOverReason.UnknownUser });
        Assert.Contains(outcome.Plan.PassedOver, p => p is { Username: "blocky", Reason: PassedOverReason.Blocked });
    }

    [Fact]
    public void Facts_are_asked_for_step_by_step_and_only_as_far_as_the_decision_needs()
    {
        var config = Config(reviewers: """{ "count": 1, "codeOwners": true, "strategy": "round-robin", "skipBusy": true }""");

        var (outcome, asked) = Settle(Snapshot(config), owners: [Owner("bob"), Owner("carol"), Owner("erin")],
            statuses: new() { ["bob"] = new UserStatus("busy", null, null) }, turn: 0);

        // CODEOWNERS first, then who its owners are, then the turn for the one empty slot, then statuses one by one:
        // bob (first in turn) is busy, so carol's is looked up; erin's never is.
        Assert.True(asked[0].CodeOwners);
        Assert.Equal(["bob", "carol", "erin"], asked[1].Users);
        Assert.Equal(1, asked[2].RoundRobinSlots);
        Assert.Equal(["bob"], asked[3].Status);
        Assert.Equal(["carol"], asked[4].Status);
        Assert.Equal(5, asked.Count);
        Assert.Equal(["carol"], Names(outcome.Plan!.Reviewers));
    }

    [Fact]
    public void A_dry_run_plans_the_request_but_stores_nothing()
    {
        var (outcome, _) = Settle(Snapshot(Config(dryRun: true)), owners: [Owner("bob")]);

        Assert.Equal([2L], outcome.Plan!.ReviewerIds);
        Assert.False(outcome.Plan.ReviewersToCommit);
        Assert.Null(outcome.ReviewersToSave);
        Assert.Equal(["bob"], Names(outcome.NewReviewers));
    }

    [Fact]
    public void Assignees_come_from_the_first_matching_policy_with_assignees()
    {
        var config = Config(policies: string.Join(",",
            Policy("first", """ "assignees": { "users": ["carol"] } """),
            Policy("second", """ "assignees": "author" """)));

        var (outcome, _) = Settle(Snapshot(config), owners: []);

        var plan = outcome.Plan!;
        Assert.Equal(["carol"], Names(plan.Assignees));
        Assert.Equal([3L], plan.AssigneeIds);
        Assert.Equal(["policy first"], plan.Assignees[0].Why);
        Assert.True(plan.AssigneesToCommit);
        Assert.Equal(plan.Assignees, outcome.AssigneesToSave!.Picks);
    }

    [Fact]
    public void Assignees_author_assigns_the_author_without_asking_GitLab()
    {
        var config = Config(reviewers: """{ "count": 1 }""", policies: Policy("mine", """ "assignees": "author" """));

        var outcome = PeopleDecider.Decide(Snapshot(config));

        Assert.True(outcome.Complete);
        Assert.Equal([Alice.Id], outcome.Plan!.AssigneeIds);
        Assert.Equal(["policy mine: the author"], outcome.Plan.Assignees[0].Why);
    }

    [Fact]
    public void Assignees_only_fill_an_empty_list()
    {
        var config = Config(reviewers: """{ "count": 1 }""", policies: Policy("mine", """ "assignees": "author" """));

        var outcome = PeopleDecider.Decide(Snapshot(config) with { Assignees = [Dave] });

        Assert.Null(outcome.Plan!.AssigneeIds);
        Assert.Equal("None set by policy mine: the merge request already has 1 assignee.", outcome.Plan.AssigneesNote);
        Assert.Null(outcome.AssigneesToSave);
    }

    [Fact]
    public void Blocked_and_unknown_assignees_are_skipped_with_a_reason()
    {
        var config = Config(reviewers: """{ "count": 1 }""", policies: Policy("ops", """ "assignees": { "users": ["ghost", "blocky", "Erin"] } """));

        var (outcome, asked) = Settle(Snapshot(config));

        var plan = outcome.Plan!;
        // GitLab's spelling of the name, not the config's.
        Assert.Equal(["erin"], Names(plan.Assignees));
        Assert.Equal([5L], plan.AssigneeIds);
        Assert.Equal("Not assigned: @ghost (no such GitLab user), @blocky (the account is blocked).", plan.AssigneesNote);
        Assert.Equal(["ghost", "blocky", "Erin"], Assert.Single(asked).Users);
    }

    [Fact]
    public void Nobody_assignable_assigns_nobody_and_stores_nothing()
    {
        var config = Config(reviewers: """{ "count": 1 }""", policies: Policy("ops", """ "assignees": { "users": ["ghost"] } """));

        var (outcome, _) = Settle(Snapshot(config));

        Assert.Null(outcome.Plan!.AssigneeIds);
        Assert.Empty(outcome.Plan.Assignees);
        Assert.Null(outcome.AssigneesToSave);
    }

    [Fact]
    public void An_unapplied_assignee_decision_is_not_written_once_the_MR_has_an_assignee()
    {
        var stored = new PeopleDecision([new PersonPick("erin", 5, ["policy ops"])], [], Applied: false);
        var config = Config(reviewers: """{ "count": 1 }""", policies: Policy("ops", """ "assignees": { "users": ["erin"] } """));

        var empty = PeopleDecider.Decide(Snapshot(config) with { StoredAssignees = stored }).Plan!;
        var taken = PeopleDecider.Decide(Snapshot(config) with { StoredAssignees = stored, Assignees = [Dave] }).Plan!;

        Assert.Equal([5L], empty.AssigneeIds);
        Assert.Null(taken.AssigneeIds);
        Assert.True(taken.AssigneesToCommit);
    }

    [Fact]
    public void Where_GitLab_keeps_one_reviewer_one_is_picked_and_the_round_robin_turn_moves_by_one()
    {
        var config = Config(reviewers: """{ "count": 2, "codeOwners": true, "strategy": "round-robin" }""");

        var (outcome, asked) = Settle(Snapshot(config) with { ReviewerLimit = 1 }, owners: [Owner("bob"), Owner("carol")]);

        var plan = outcome.Plan!;
        Assert.Equal(["bob"], Names(plan.Reviewers));
        Assert.Equal(plan.Reviewers, plan.ReviewersToRequest);
        Assert.Equal(1, plan.ReviewersWanted);
        Assert.Equal(1, asked.Single(n => n.RoundRobinSlots is not null).RoundRobinSlots);
        Assert.Contains(plan.PassedOver, p => p.Username == "carol" && p.Reason == PassedOverReason.SlotsFilled);
    }

    [Fact]
    public void Where_GitLab_keeps_one_reviewer_and_a_human_chose_one_nobody_is_asked_and_the_note_says_why()
    {
        var config = Config(reviewers: """{ "count": 2, "codeOwners": true, "strategy": "random" }""");

        var outcome = PeopleDecider.Decide(Snapshot(config) with { ReviewerLimit = 1, Reviewers = [Dave] });

        Assert.True(outcome.Complete);
        Assert.Null(outcome.Plan!.ReviewerIds);
        Assert.Empty(outcome.Plan.ReviewersToRequest);
        Assert.Equal("None requested: the merge request already has 1 reviewer, and this GitLab keeps 1 reviewer per merge request (wanted: 2).", outcome.Plan.ReviewersNote);
        Assert.Null(outcome.ReviewersToSave);
    }

    [Fact]
    public void Where_GitLab_keeps_one_assignee_the_first_of_the_policy_is_assigned_and_the_rest_explained()
    {
        var config = Config(reviewers: """{ "count": 1 }""", policies: Policy("ops", """ "assignees": { "users": ["bob", "carol"] } """));

        var (outcome, _) = Settle(Snapshot(config) with { AssigneeLimit = 1 });

        var plan = outcome.Plan!;
        Assert.Equal(["bob"], Names(plan.Assignees));
        Assert.Equal([2L], plan.AssigneeIds);
        Assert.Equal("Not assigned: @carol (this GitLab keeps 1 assignee per merge request).", plan.AssigneesNote);
        Assert.Equal(plan.AssigneesNote, outcome.AssigneesToSave!.Note);
    }

    [Fact]
    public void An_applied_decision_is_explained_as_stored_with_its_note()
    {
        var stored = new PeopleDecision([new PersonPick("bob", 2, ["policy ops"])], [], Applied: true, Note: "Not assigned: @carol (this GitLab keeps one assignee per merge request).");
        var config = Config(reviewers: """{ "count": 1, "codeOwners": true }""", policies: Policy("ops", """ "assignees": { "users": ["bob", "carol"] } """));

        var plan = PeopleDecider.Decide(Snapshot(config) with { StoredAssignees = stored, StoredReviewers = stored }).Plan!;

        Assert.Equal(["bob"], Names(plan.Assignees));
        Assert.Equal(stored.Note, plan.AssigneesNote);
        Assert.Equal(stored.Note, plan.ReviewersNote);
        Assert.False(plan.HasChanges);
    }

    [Fact]
    public void An_unapplied_reviewer_decision_requests_only_its_picks_not_yet_on_the_MR()
    {
        var bob = new PersonPick("bob", 2, ["CODEOWNERS /src/"]);
        var carol = new PersonPick("carol", 3, ["CODEOWNERS /src/"]);
        var stored = new PeopleDecision([bob, carol], [], Applied: false);

        var plan = PeopleDecider.Decide(Snapshot(Config()) with { StoredReviewers = stored, Reviewers = [new Person(2, "bob")] }).Plan!;

        Assert.Equal([carol], plan.ReviewersToRequest);
        Assert.Equal([2L, 3L], plan.ReviewerIds);
        Assert.True(plan.ReviewersToCommit);
    }

    [Fact]
    public void Reviewer_and_assignee_needs_are_asked_together()
    {
        var config = Config(policies: Policy("ops", """ "assignees": { "users": ["erin"] } """));

        var needs = PeopleDecider.Decide(Snapshot(config)).Needs;

        Assert.True(needs.CodeOwners);
        Assert.Equal(["erin"], needs.Users);
    }
}
