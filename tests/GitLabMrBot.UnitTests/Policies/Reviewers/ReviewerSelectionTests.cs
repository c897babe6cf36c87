using GitLabMrBot.Events;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Reviewers;

namespace GitLabMrBot.UnitTests.Policies.Reviewers;

public sealed class ReviewerSelectionTests
{
    private static readonly string[] Everyone = ["alice", "bob", "carol", "dave", "erin", "frank", "mrbot"];

    private static CompiledReviewers Settings(
        int count = 1, bool codeOwners = false, ReviewerStrategy strategy = ReviewerStrategy.Random, bool skipBusy = false, string[]? exclude = null) =>
        new(count, codeOwners, strategy, skipBusy, SkipDrafts: true, new HashSet<string>(exclude ?? [], StringComparer.OrdinalIgnoreCase));

    private static Dictionary<string, PersonFacts> People(params string[] blocked) =>
        Everyone.Select((u, i) => (u, new PersonFacts(100 + i, blocked.Contains(u))))
            .ToDictionary(p => p.u, p => p.Item2, StringComparer.OrdinalIgnoreCase);

    private static SelectionInput Input(CompiledReviewers settings, PolicyReviewers[]? policies = null, CodeOwnerCandidate[]? owners = null,
        string[]? current = null, Dictionary<string, PersonFacts>? people = null, long iid = 1) => new()
    {
        MergeRequest = new MergeRequestRef(7, iid),
        Author = "alice",
        Bot = "mrbot",
        Config = settings,
        Policies = policies ?? [],
        CodeOwners = owners ?? [],
        CurrentReviewers = current ?? [],
        People = people ?? People(),
    };

    private static CodeOwnerCandidate Owner(string user, string pattern = "/src/", string section = "Backend") =>
        new(user, CandidateSource.FromCodeOwners(section, pattern, null));

    /// <summary>Runs the selection as the reconciler does, answering every fact request from the given tables.</summary>
    private static SelectionResult Run(SelectionInput input, IReadOnlyDictionary<string, UserStatus>? statuses = null, IReadOnlyDictionary<string, int>? loads = null)
    {
        var people = new Dictionary<string, PersonFacts>(input.People, StringComparer.OrdinalIgnoreCase);
        var result = ReviewerSelection.Select(input);
        for (var i = 0; !result.Complete; i++)
        {
            Assert.True(i < 20, "selection kept asking for facts");
            foreach (var u in result.NeedStatus)
            {
                people[u] = people[u] with { Status = statuses?.GetValueOrDefault(u) ?? new UserStatus("not_set", "", "") };
            }
            foreach (var u in result.NeedLoad)
            {
                people[u] = people[u] with { Load = loads?.GetValueOrDefault(u) ?? 0 };
            }
            result = ReviewerSelection.Select(input with { People = people });
        }
        return result;
    }

    private static string[] Picked(SelectionResult result) => [.. result.Picks.Select(p => p.Username)];

    [Fact]
    public void Fills_only_the_empty_slots_up_to_count()
    {
        var result = Run(Input(Settings(count: 2, codeOwners: true), owners: [Owner("bob"), Owner("carol"), Owner("dave")], current: ["erin"]));

        Assert.Single(result.Picks);
        Assert.DoesNotContain("erin", Picked(result));
    }

    [Fact]
    public void Never_picks_the_author_the_bot_excluded_unknown_or_blocked_users_and_says_why()
    {
        var people = People("dave");
        people.Remove("frank");
        var result = Run(Input(Settings(count: 5, codeOwners: true, exclude: ["erin"]), people: people,
            owners: [Owner("alice"), Owner("mrbot"), Owner("erin"), Owner("dave"), Owner("frank"), Owner("bob")]));

        Assert.Equal(["bob"], Picked(result));
        Assert.Equal(
            ["alice:Author", "mrbot:Bot", "erin:Excluded", "dave:Blocked", "frank:UnknownUser"],
            result.PassedOver.Select(p => $"{p.Username}:{p.Reason}"));
    }

    [Fact]
    public void Candidates_are_the_union_of_policies_and_code_owners_without_duplicates_and_keep_every_reason()
    {
        var result = Run(Input(Settings(count: 3, codeOwners: true),
            policies: [new PolicyReviewers("api", ["bob"], 1)],
            owners: [Owner("bob", "/src/api/"), Owner("bob", "*.cs", "Lang"), Owner("carol")]));

        var bob = Assert.Single(result.Picks, p => p.Username == "bob");
        Assert.Equal(["policy api", "CODEOWNERS [Backend] /src/api/", "CODEOWNERS [Lang] *.cs"], bob.Why);
        Assert.Equal(2, result.Picks.Count);
        Assert.Equal(result.Picks.Count, result.Picks.Select(p => p.Username).Distinct().Count());
    }

    [Fact]
    public void A_policy_count_caps_how_many_of_its_users_are_picked_and_code_owners_fill_the_rest()
    {
        var result = Run(Input(Settings(count: 2, codeOwners: true),
            policies: [new PolicyReviewers("api", ["carol", "dave", "erin"], 1)],
            owners: [Owner("bob")]));

        Assert.Equal(2, result.Picks.Count);
        Assert.Single(result.Picks, p => p.Username is "carol" or "dave" or "erin");
        Assert.Contains("bob", Picked(result));
        Assert.Equal(2, result.PassedOver.Count(p => p.Reason == PassedOverReason.SlotsFilled));
    }

    [Fact]
    public void A_policy_asking_for_more_than_reviewers_count_gets_its_count()
    {
        var result = Run(Input(Settings(count: 1), policies: [new PolicyReviewers("security", ["bob", "carol", "dave"], 2)]));

        Assert.Equal(2, result.Picks.Count);
    }

    [Fact]
    public void A_human_reviewer_among_a_policys_users_counts_for_that_policy()
    {
        var result = Run(Input(Settings(count: 1), policies: [new PolicyReviewers("api", ["bob", "carol"], 1)], current: ["carol"]));

        Assert.Empty(result.Picks);
    }

    [Fact]
    public void Without_codeOwners_the_owners_are_not_candidates()
    {
        var result = Run(Input(Settings(count: 2, codeOwners: false), owners: [Owner("bob")]));

        Assert.Empty(result.Picks);
        Assert.Empty(result.PassedOver);
    }

    [Fact]
    public void SkipBusy_skips_busy_and_away_users_in_favour_of_the_next_and_says_why()
    {
        var statuses = new Dictionary<string, UserStatus>
        {
            ["bob"] = new("busy", "", ""),
            ["carol"] = new("not_set", "OOO until Monday", ""),
            ["dave"] = new("not_set", "", "palm_tree"),
        };
        var result = Run(Input(Settings(count: 1, codeOwners: true, skipBusy: true, strategy: ReviewerStrategy.RoundRobin),
            owners: [Owner("bob"), Owner("carol"), Owner("dave"), Owner("erin")]), statuses);

        Assert.Equal(["erin"], Picked(result));
        Assert.Equal(["bob:status is busy", "carol:status says OOO", "dave:status emoji :palm_tree:"],
            result.PassedOver.Where(p => p.Reason == PassedOverReason.Away).Select(p => $"{p.Username}:{p.Detail}"));
    }

    [Fact]
    public void Without_skipBusy_no_status_is_asked_for()
    {
        var result = ReviewerSelection.Select(Input(Settings(count: 1, codeOwners: true), owners: [Owner("bob"), Owner("carol")]));

        Assert.True(result.Complete);
        Assert.Single(result.Picks);
    }

    [Fact]
    public void SkipBusy_asks_only_for_the_statuses_the_open_slots_need()
    {
        var result = ReviewerSelection.Select(Input(Settings(count: 1, codeOwners: true, skipBusy: true),
            owners: [Owner("bob"), Owner("carol"), Owner("dave"), Owner("erin")]));

        Assert.Single(result.NeedStatus);
        Assert.Empty(result.NeedLoad);
    }

    [Fact]
    public void Least_loaded_picks_the_candidate_with_the_fewest_open_reviews()
    {
        var loads = new Dictionary<string, int> { ["bob"] = 5, ["carol"] = 1, ["dave"] = 3 };
        var result = Run(Input(Settings(count: 1, codeOwners: true, strategy: ReviewerStrategy.LeastLoaded),
            owners: [Owner("bob"), Owner("carol"), Owner("dave")]), loads: loads);

        Assert.Equal(["carol"], Picked(result));
    }

    [Fact]
    public void Least_loaded_asks_for_loads_of_eligible_candidates_only()
    {
        var result = ReviewerSelection.Select(Input(Settings(count: 1, codeOwners: true, strategy: ReviewerStrategy.LeastLoaded),
            owners: [Owner("alice"), Owner("bob"), Owner("carol")]));

        Assert.Equal(["bob", "carol"], result.NeedLoad.Order());
    }

    [Fact]
    public void Random_is_deterministic_for_an_MR_and_differs_across_MRs()
    {
        var owners = Everyone.Skip(1).Take(5).Select(u => Owner(u)).ToArray();
        var settings = Settings(count: 2, codeOwners: true);

        var first = Picked(Run(Input(settings, owners: owners, iid: 1)));
        var again = Picked(Run(Input(settings, owners: owners, iid: 1)));
        var reordered = Picked(Run(Input(settings, owners: [.. owners.Reverse()], iid: 1)));
        var others = Enumerable.Range(2, 30).Select(i => string.Join(",", Picked(Run(Input(settings, owners: owners, iid: i))))).ToHashSet();

        Assert.Equal(first, again);
        Assert.Equal(first.Order(), reordered.Order());
        Assert.True(others.Count > 3, "different MRs should spread over different reviewers");
    }

    [Fact]
    public void Round_robin_walks_the_sorted_candidates_from_the_turn_counter()
    {
        var owners = new[] { Owner("dave"), Owner("bob"), Owner("carol") };
        var settings = Settings(count: 1, codeOwners: true, strategy: ReviewerStrategy.RoundRobin);

        var turns = Enumerable.Range(0, 4).Select(turn => Picked(Run(Input(settings, owners: owners) with { RoundRobinOffset = turn })).Single());

        Assert.Equal(["bob", "carol", "dave", "bob"], turns);
    }

    [Fact]
    public void Round_robin_skips_ineligible_people_without_shifting_the_rotation()
    {
        var settings = Settings(count: 1, codeOwners: true, strategy: ReviewerStrategy.RoundRobin);
        var owners = new[] { Owner("alice"), Owner("bob"), Owner("carol") };

        // Turn 0 lands on alice, the author: the next one in the rotation is asked.
        Assert.Equal(["bob"], Picked(Run(Input(settings, owners: owners) with { RoundRobinOffset = 0 })));
        Assert.Equal(["carol"], Picked(Run(Input(settings, owners: owners) with { RoundRobinOffset = 2 })));
    }

    [Fact]
    public void Current_reviewers_are_never_passed_over_or_picked_again()
    {
        var result = Run(Input(Settings(count: 3, codeOwners: true), owners: [Owner("bob"), Owner("carol")], current: ["bob"]));

        Assert.Equal(["carol"], Picked(result));
        Assert.DoesNotContain(result.PassedOver, p => p.Username == "bob");
    }

    [Fact]
    public void Target_is_the_larger_of_reviewers_count_and_matched_policy_counts()
    {
        Assert.Equal(2, ReviewerSelection.Target(Settings(count: 2), [new PolicyReviewers("p", ["bob"], 1)]));
        Assert.Equal(3, ReviewerSelection.Target(Settings(count: 1), [new PolicyReviewers("p", ["bob"], 3)]));
    }

    [Fact]
    public void Picks_carry_the_users_ids()
    {
        var result = Run(Input(Settings(count: 1), policies: [new PolicyReviewers("p", ["bob"], 1)]));

        Assert.Equal(101, Assert.Single(result.Picks).Id);
    }
}
