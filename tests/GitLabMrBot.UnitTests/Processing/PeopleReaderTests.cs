using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Reviewers;
using GitLabMrBot.Processing.Reconciliation;
using GitLabMrBot.UnitTests.Policies;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging.Abstractions;
using NSubstitute;

namespace GitLabMrBot.UnitTests.Processing;

/// <summary>
/// The reader asks GitLab only what the people decision needs: these tests count its GitLab calls through the
/// ports under <see cref="PeopleDirectory"/> and <see cref="CodeOwnersSource"/> (file reads listed first).
/// </summary>
public sealed class PeopleReaderTests : IDisposable
{
    private static readonly MergeRequestRef Mr = new(7, 42);
    private static readonly GitLabUser Alice = User(1, "alice");

    private readonly IGitLabDirectory _directory = Substitute.For<IGitLabDirectory>();
    private readonly IMergeRequestReader _files = Substitute.For<IMergeRequestReader>();
    private readonly MemoryStateStore _state = new();
    private readonly MemoryCache _cache = new(new MemoryCacheOptions());
    private readonly PeopleReader _reader;
    private readonly Dictionary<long, string> _busy = [];

    public PeopleReaderTests()
    {
        var users = new[] { Alice, User(2, "bob"), User(3, "carol"), User(5, "erin"), User(8, "blocky", "blocked") };
        _directory.FindUserAsync(default!, default).ReturnsForAnyArgs(call => users.FirstOrDefault(u => u.Username == call.Arg<string>()));
        _directory.GetUserStatusAsync(default, default).ReturnsForAnyArgs(call =>
            new GitLabUserStatus { Availability = _busy.ContainsKey(call.Arg<long>()) ? "busy" : "not_set" });
        // bob reviews two open MRs, everyone else none.
        _directory.CountMergeRequestsForReviewerAsync(default, default, default).ReturnsForAnyArgs(call => call.Arg<long>() == 2 ? 2 : 0);
        _reader = new PeopleReader(
            new PeopleDirectory(_directory, _cache),
            new CodeOwnersSource(_files, _cache, NullLogger<CodeOwnersSource>.Instance),
            new PeopleStore(_state, NullLogger<PeopleStore>.Instance),
            new PeopleLimits(),
            NullLogger<PeopleReader>.Instance);
    }

    public void Dispose() => _cache.Dispose();

    private static GitLabUser User(long id, string name, string state = "active") => new() { Id = id, Username = name, State = state };

    private void CodeOwners(string text) =>
        _files.GetFileAsync(7, "CODEOWNERS", "start", Arg.Any<CancellationToken>()).Returns(text);

    private static CompiledConfig Config(string reviewers, string then = "") => PolicyTestKit.Compile($$"""
        { "policies": [ { "name": "api", "when": { "changedFiles": ["**"] }, "then": { "addLabels": ["backend"] {{then}} } } ],
          "reviewers": {{reviewers}} }
        """);

    private Task<PeopleOutcome> DecideAsync(CompiledConfig config, bool draft = false)
    {
        var mr = new GitLabMergeRequest
        {
            Id = 1000, Iid = 42, ProjectId = 7, State = "opened", Draft = draft, Author = Alice, TargetBranch = "main",
            DiffRefs = new GitLabDiffRefs { StartSha = "start" },
        };
        var read = new MergeRequestRead(PolicyTestKit.Mr(files: [PolicyTestKit.File("src/api/orders.cs")]), mr, [], User(50, "mrbot"));
        var plan = new Plan { MergeRequest = Mr, MatchedPolicies = [.. config.Policies.Select(p => new PolicyMatch(p.Name, "matched", p.Then))] };
        return _reader.DecideAsync(read, plan, config, CancellationToken.None);
    }

    private string[] GitLabCalls() =>
        [.. _files.ReceivedCalls().Concat(_directory.ReceivedCalls())
            .Select(c => $"{c.GetMethodInfo().Name}({string.Join(",", c.GetArguments().Where(a => a is not CancellationToken))})")];

    [Fact]
    public async Task Without_reviewer_or_assignee_rules_nothing_is_read()
    {
        var outcome = await DecideAsync(Config("""{ "count": 1 }"""));

        Assert.Null(outcome.Plan);
        Assert.Empty(GitLabCalls());
        Assert.Empty(_state.Calls);
    }

    [Fact]
    public async Task A_settled_MR_costs_no_GitLab_call()
    {
        _state.Values["reviewers:7:42"] = """{"picks":[{"username":"bob","id":2,"why":["policy api"]}],"passedOver":[],"applied":true}""";

        var outcome = await DecideAsync(Config("""{ "count": 1, "codeOwners": true, "skipBusy": true }"""));

        Assert.Equal("bob", Assert.Single(outcome.Plan!.Reviewers).Username);
        Assert.Null(outcome.Plan.ReviewerIds);
        Assert.Empty(GitLabCalls());
    }

    [Fact]
    public async Task A_draft_waiting_for_ready_reads_no_CODEOWNERS()
    {
        CodeOwners("/src/ @bob\n");

        var outcome = await DecideAsync(Config("""{ "count": 1, "codeOwners": true, "skipDrafts": true }"""), draft: true);

        Assert.Null(outcome.Plan!.ReviewerIds);
        Assert.Empty(GitLabCalls());
    }

    [Fact]
    public async Task Round_robin_with_skipBusy_looks_up_statuses_only_until_someone_is_available()
    {
        CodeOwners("/src/ @bob @carol @erin\n");
        _busy[2] = "bob";

        var outcome = await DecideAsync(Config("""{ "count": 1, "codeOwners": true, "strategy": "round-robin", "skipBusy": true }"""));

        // A fresh counter starts at bob (first by name), who is busy; carol is free, so erin's status is never needed.
        Assert.Equal("carol", Assert.Single(outcome.Plan!.Reviewers).Username);
        Assert.Equal(
            // The target branch's head first: GitLab reads CODEOWNERS from the target branch as it is now (docs/gitlab-behaviour.md §4);
            // this fake knows no branch, so the MR's start commit stands in.
            ["GetBranchHeadAsync(7,main)", "GetFileAsync(7,CODEOWNERS,start)", "FindUserAsync(bob)", "FindUserAsync(carol)", "FindUserAsync(erin)", "GetUserStatusAsync(2)", "GetUserStatusAsync(3)"],
            GitLabCalls());
        Assert.Equal(["get reviewers:7:42", "increment round-robin:7 by 1"], _state.Calls);
        // Storing the decision is the reconciler's step, before the PUT.
        Assert.NotNull(outcome.ReviewersToSave);
    }

    [Fact]
    public async Task Least_loaded_counts_the_load_of_eligible_candidates_only()
    {
        CodeOwners("/src/ @alice @blocky @bob @carol\n");

        var outcome = await DecideAsync(Config("""{ "count": 1, "codeOwners": true, "strategy": "least-loaded" }"""));

        Assert.Equal("carol", Assert.Single(outcome.Plan!.Reviewers).Username);
        var loads = GitLabCalls().Where(c => c.StartsWith("CountMergeRequestsForReviewerAsync", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        Assert.Equal(["CountMergeRequestsForReviewerAsync(2,opened)", "CountMergeRequestsForReviewerAsync(3,opened)"], loads);
        Assert.DoesNotContain(GitLabCalls(), c => c.StartsWith("GetUserStatusAsync", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_user_both_code_owner_and_assignee_is_looked_up_once()
    {
        CodeOwners("/src/ @bob\n");

        var outcome = await DecideAsync(Config("""{ "count": 1, "codeOwners": true, "strategy": "random" }""", then: """, "assignees": { "users": ["bob"] }"""));

        Assert.Equal([2L], outcome.Plan!.ReviewerIds);
        Assert.Equal([2L], outcome.Plan.AssigneeIds);
        Assert.Single(GitLabCalls(), c => c == "FindUserAsync(bob)");
    }

    [Fact]
    public async Task A_dry_run_reads_the_round_robin_turn_without_taking_it()
    {
        CodeOwners("/src/ @bob @carol\n");
        var config = PolicyTestKit.Compile("""{ "reviewers": { "count": 1, "codeOwners": true, "strategy": "round-robin" }, "dryRun": true }""");

        var outcome = await DecideAsync(config);

        Assert.Equal("bob", Assert.Single(outcome.Plan!.Reviewers).Username);
        Assert.Null(outcome.ReviewersToSave);
        Assert.Equal(["get reviewers:7:42", "get round-robin:7"], _state.Calls);
    }
}
