using GitLabMrBot.Events;
using GitLabMrBot.GitLab;
using GitLabMrBot.Policies;
using GitLabMrBot.Policies.Reviewers;
using Microsoft.Extensions.Logging.Abstractions;
using NSubstitute;

namespace GitLabMrBot.UnitTests.Processing;

public sealed class PlanExecutorTests
{
    private static readonly MergeRequestRef Mr = new(7, 42);
    private static readonly Reason ByApi = new("api", "changed src/api/orders.cs");

    private readonly IMergeRequestWriter _gitLab = Substitute.For<IMergeRequestWriter>();
    private readonly PeopleLimits _limits = new();
    private readonly PlanExecutor _executor;
    private readonly List<MergeRequestUpdate> _sent = [];

    /// <summary>The MR as GitLab holds it when the executor reads it right before its PUT: dave (4) reviews.</summary>
    private GitLabMergeRequest _current = new() { Id = 1, Iid = 42, Reviewers = [User(4, "dave")] };

    /// <summary>What GitLab keeps of the lists sent: all of them (Premium) unless a test says otherwise.</summary>
    private Func<IReadOnlyList<long>, IReadOnlyList<long>> _keeps = ids => ids;

    public PlanExecutorTests()
    {
        _executor = new PlanExecutor(_gitLab, _limits, NullLogger<PlanExecutor>.Instance);
        Upserts(NoteUpsertOutcome.Created);
        _gitLab.EnsureLabelsAsync(default, default!, default).ReturnsForAnyArgs(call => (IReadOnlyList<string>)[.. call.Arg<IEnumerable<LabelDefinition>>().Select(l => l.Name)]);
        _gitLab.UpdateMergeRequestFromFreshReadAsync(default!, default!, default).ReturnsForAnyArgs(call =>
        {
            var update = call.Arg<Func<GitLabMergeRequest, MergeRequestUpdate>>()(_current);
            if (update.IsEmpty)
            {
                return new FreshUpdateResult(_current, null, _current);
            }
            _sent.Add(update);
            var after = _current with
            {
                Reviewers = update.ReviewerIds is { } r ? [.. _keeps(r).Select(id => User(id))] : _current.Reviewers,
                Assignees = update.AssigneeIds is { } a ? [.. _keeps(a).Select(id => User(id))] : _current.Assignees,
            };
            return new FreshUpdateResult(_current, update, after);
        });
    }

    private static GitLabUser User(long id, string? name = null) => new() { Id = id, Username = name ?? $"user{id}" };

    private void Upserts(NoteUpsertOutcome outcome) =>
        _gitLab.UpsertMarkedNoteAsync(default!, default!, default!, default).ReturnsForAnyArgs(call => new NoteUpsertResult(new GitLabNote { Id = 99, Body = call.ArgAt<string>(2) }, outcome));

    /// <summary>The MR already carries "backend" for policy api, and bob was requested earlier: the steady state.</summary>
    private static Plan Settled() => new()
    {
        MergeRequest = Mr,
        Applied = [new AppliedLabel("backend", ByApi, AlreadyPresent: true)],
        People = new PeoplePlan { Reviewers = [new PersonPick("bob", 2, ["policy api"])] },
    };

    /// <summary>Everything a plan can write: a new label and its colour, a removal, people, a policy comment.</summary>
    private static Plan Busy() => Settled() with
    {
        Applied = [new AppliedLabel("backend", ByApi, AlreadyPresent: false)],
        LabelsToAdd = [new LabelChange("backend", ByApi)],
        LabelsToRemove = [new LabelChange("frontend", new Reason("web", "no web file any more"))],
        LabelsToCreate = [new LabelToCreate("backend", "#6699cc")],
        Comments = [new PolicyComment("api", "<!-- api -->", "Mind the API.")],
        People = new PeoplePlan
        {
            Reviewers = [new PersonPick("bob", 2, ["policy api"])],
            ReviewerIds = [4, 2],
            ReviewersToRequest = [new PersonPick("bob", 2, ["policy api"])],
            Assignees = [new PersonPick("alice", 1, ["policy api: the author"])],
            AssigneeIds = [1],
        },
    };

    private static GitLabNote SummaryNote(string body) => new() { Id = 9, Body = body };

    [Fact]
    public async Task A_plan_that_changes_nothing_writes_nothing()
    {
        var plan = Settled();

        var writes = await _executor.ApplyAsync(plan, [SummaryNote(SummaryComment.Render(plan))], CancellationToken.None);

        Assert.Equal(0, writes);
        Assert.Empty(_gitLab.ReceivedCalls());
    }

    [Fact]
    public async Task Labels_reviewers_and_assignees_go_in_one_update()
    {
        var plan = Busy() with { Comments = [], LabelsToCreate = [], SummaryComment = false };

        var writes = await _executor.ApplyAsync(plan, [], CancellationToken.None);

        Assert.Equal(1, writes);
        var call = Assert.Single(_gitLab.ReceivedCalls());
        Assert.Equal(nameof(IMergeRequestWriter.UpdateMergeRequestFromFreshReadAsync), call.GetMethodInfo().Name);
        var update = Assert.Single(_sent);
        Assert.Equal(["backend"], update.AddLabels!);
        Assert.Equal(["frontend"], update.RemoveLabels!);
        Assert.Equal([4L, 2L], update.ReviewerIds);
        Assert.Equal([1L], update.AssigneeIds);
    }

    [Fact]
    public async Task People_alone_are_one_update_that_leaves_the_labels_alone()
    {
        _current = _current with { Reviewers = [] };
        var bob = new PersonPick("bob", 2, ["policy api"]);
        var plan = Settled() with { People = new PeoplePlan { Reviewers = [bob], ReviewerIds = [2], ReviewersToRequest = [bob] }, SummaryComment = false };

        await _executor.ApplyAsync(plan, [], CancellationToken.None);

        var u = Assert.Single(_sent);
        Assert.True(u.AddLabels!.Count == 0 && u.RemoveLabels!.Count == 0 && u.ReviewerIds!.Count == 1 && u.ReviewerIds[0] == 2 && u.AssigneeIds == null);
        await _gitLab.DidNotReceiveWithAnyArgs().UpdateMergeRequestAsync(default!, default!, default);
    }

    [Fact]
    public async Task A_reviewer_a_human_added_since_the_decision_stays_first_in_the_list_sent()
    {
        // The decision read no reviewers; by the PUT, dave (4) is there.
        var bob = new PersonPick("bob", 2, ["policy api"]);
        var plan = Settled() with { People = new PeoplePlan { Reviewers = [bob], ReviewerIds = [2], ReviewersToRequest = [bob], ReviewersWanted = 2 }, SummaryComment = false };

        var outcome = await _executor.ExecuteAsync(plan, [], CancellationToken.None);

        Assert.Equal([4L, 2L], Assert.Single(_sent).ReviewerIds);
        Assert.Equal(["bob"], outcome.People!.Reviewers.Select(p => p.Username));
    }

    [Fact]
    public async Task Slots_a_human_filled_meanwhile_are_not_filled_again_and_the_pick_is_reported_as_not_requested()
    {
        var bob = new PersonPick("bob", 2, ["policy api"]);
        var plan = Settled() with { People = new PeoplePlan { Reviewers = [bob], ReviewerIds = [2], ReviewersToRequest = [bob], ReviewersWanted = 1 } };

        var outcome = await _executor.ExecuteAsync(plan, [], CancellationToken.None);

        Assert.Empty(_sent);
        Assert.Empty(outcome.People!.Reviewers);
        var passed = Assert.Single(outcome.People.PassedOver);
        Assert.Equal(("bob", PassedOverReason.NotApplied), (passed.Username, passed.Reason));
        Assert.Contains("1 reviewer by then", passed.Detail, StringComparison.Ordinal);
        // The summary explains what happened, not what was wished.
        await _gitLab.Received(1).UpsertMarkedNoteAsync(Mr, SummaryComment.Marker, Arg.Is<string>(b => !b.Contains("| `@bob`", StringComparison.Ordinal)), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task A_list_GitLab_cut_to_its_first_id_is_read_back_and_the_limit_learnt()
    {
        _current = _current with { Reviewers = [] };
        _keeps = ids => [.. ids.Take(1)];
        var bob = new PersonPick("bob", 2, ["policy api"]);
        var carol = new PersonPick("carol", 3, ["policy api"]);
        var plan = Settled() with { People = new PeoplePlan { Reviewers = [bob, carol], ReviewerIds = [2, 3], ReviewersToRequest = [bob, carol], ReviewersWanted = 2 } };

        var outcome = await _executor.ExecuteAsync(plan, [], CancellationToken.None);

        Assert.Equal([2L, 3L], Assert.Single(_sent).ReviewerIds);
        Assert.Equal(["bob"], outcome.People!.Reviewers.Select(p => p.Username));
        Assert.Equal("carol", Assert.Single(outcome.People.PassedOver).Username);
        Assert.Equal(1, _limits.Reviewers(Mr.ProjectId));
        Assert.Null(_limits.Assignees(Mr.ProjectId));
    }

    [Fact]
    public async Task Assignees_are_sent_only_while_the_MR_still_has_none()
    {
        _current = _current with { Assignees = [User(5, "erin")] };
        var alice = new PersonPick("alice", 1, ["policy api: the author"]);
        var plan = Settled() with { People = new PeoplePlan { Assignees = [alice], AssigneeIds = [1], AssigneesToCommit = true }, SummaryComment = false };

        var outcome = await _executor.ExecuteAsync(plan, [], CancellationToken.None);

        Assert.Empty(_sent);
        Assert.Empty(outcome.People!.Assignees);
        Assert.Equal("Not assigned: @alice (the merge request had an assignee by then).", outcome.People.AssigneesNote);
    }

    [Fact]
    public async Task Missing_labels_are_created_before_the_update()
    {
        var writes = await _executor.ApplyAsync(Busy() with { Comments = [], SummaryComment = false }, [], CancellationToken.None);

        Received.InOrder(() =>
        {
            _gitLab.EnsureLabelsAsync(7, Arg.Is<IEnumerable<LabelDefinition>>(l => l.Single() == new LabelDefinition("backend", "#6699cc", null)), Arg.Any<CancellationToken>());
            _gitLab.UpdateMergeRequestFromFreshReadAsync(Mr, Arg.Any<Func<GitLabMergeRequest, MergeRequestUpdate>>(), Arg.Any<CancellationToken>());
        });
        Assert.Equal(2, writes);
    }

    [Fact]
    public async Task A_dry_run_writes_nothing()
    {
        var writes = await _executor.ApplyAsync(Busy() with { DryRun = true }, [SummaryNote("<!-- old -->")], CancellationToken.None);

        Assert.Equal(0, writes);
        Assert.Empty(_gitLab.ReceivedCalls());
    }

    [Fact]
    public async Task The_summary_note_is_edited_when_its_text_changes()
    {
        var plan = Settled();

        var writes = await _executor.ApplyAsync(plan, [SummaryNote(SummaryComment.Marker + "\nan older summary")], CancellationToken.None);

        Assert.Equal(1, writes);
        await _gitLab.Received(1).UpdateNoteAsync(Mr, 9, SummaryComment.Render(plan), Arg.Any<CancellationToken>());
        Assert.Single(_gitLab.ReceivedCalls());
    }

    [Fact]
    public async Task A_remembered_summary_note_is_edited_without_reading_notes_and_left_when_its_hash_matches()
    {
        var plan = Settled();
        var older = new GitLabMrBot.GitLab.SummaryNote(9, GitLabMrBot.GitLab.SummaryNote.HashOf(SummaryComment.Marker + "\nan older summary"));

        var edited = await _executor.ExecuteAsync(plan, older, CancellationToken.None);
        var again = await _executor.ExecuteAsync(plan, edited.Summary, CancellationToken.None);

        Assert.Equal(1, edited.Writes);
        Assert.Equal(new GitLabMrBot.GitLab.SummaryNote(9, GitLabMrBot.GitLab.SummaryNote.HashOf(SummaryComment.Render(plan))), edited.Summary);
        Assert.Equal(0, again.Writes);
        await _gitLab.Received(1).UpdateNoteAsync(Mr, 9, SummaryComment.Render(plan), Arg.Any<CancellationToken>());
        Assert.Single(_gitLab.ReceivedCalls());
    }

    [Fact]
    public async Task A_remembered_summary_note_that_was_deleted_is_posted_again_through_the_upsert()
    {
        var plan = Settled();
        _gitLab.UpdateNoteAsync(Mr, 9, Arg.Any<string>(), Arg.Any<CancellationToken>())
            .Returns<GitLabNote>(_ => throw new GitLabApiException("PUT", "/projects/7/merge_requests/42/notes/9", System.Net.HttpStatusCode.NotFound, "404 Not found"));

        var outcome = await _executor.ExecuteAsync(plan, new GitLabMrBot.GitLab.SummaryNote(9, "an older hash"), CancellationToken.None);

        Assert.Equal(1, outcome.Writes);
        Assert.Equal(99, outcome.Summary?.Id);
        await _gitLab.Received(1).UpsertMarkedNoteAsync(Mr, SummaryComment.Marker, SummaryComment.Render(plan), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task A_missing_summary_note_is_created_through_the_upsert()
    {
        var plan = Settled();

        var writes = await _executor.ApplyAsync(plan, [], CancellationToken.None);

        Assert.Equal(1, writes);
        // The upsert looks for the marker again: a note posted by an attempt whose answer was lost is not doubled.
        await _gitLab.Received(1).UpsertMarkedNoteAsync(Mr, SummaryComment.Marker, SummaryComment.Render(plan), Arg.Any<CancellationToken>());
        Assert.Single(_gitLab.ReceivedCalls());
    }

    [Fact]
    public async Task An_upsert_that_finds_the_note_already_there_is_not_counted_as_a_write()
    {
        Upserts(NoteUpsertOutcome.Unchanged);

        var writes = await _executor.ApplyAsync(Settled(), [], CancellationToken.None);

        Assert.Equal(0, writes);
    }

    [Fact]
    public async Task Nothing_to_explain_or_summaryComment_off_posts_no_summary()
    {
        var empty = new Plan { MergeRequest = Mr };
        var off = Settled() with { SummaryComment = false };

        Assert.Equal(0, await _executor.ApplyAsync(empty, [], CancellationToken.None));
        Assert.Equal(0, await _executor.ApplyAsync(off, [], CancellationToken.None));
        Assert.Empty(_gitLab.ReceivedCalls());
    }

    [Fact]
    public async Task Policy_comments_are_upserted_by_their_marker()
    {
        var plan = Busy() with { LabelsToAdd = [], LabelsToRemove = [], LabelsToCreate = [], People = null, SummaryComment = false };

        var writes = await _executor.ApplyAsync(plan, [], CancellationToken.None);

        Assert.Equal(1, writes);
        await _gitLab.Received(1).UpsertMarkedNoteAsync(Mr, "<!-- api -->", "Mind the API.", Arg.Any<CancellationToken>());
        Assert.Single(_gitLab.ReceivedCalls());
    }

    [Theory]
    [InlineData(NoteUpsertOutcome.Created, true)]
    [InlineData(NoteUpsertOutcome.Updated, true)]
    [InlineData(NoteUpsertOutcome.Unchanged, false)]
    public async Task A_reply_note_is_upserted_by_its_marker(NoteUpsertOutcome outcome, bool written)
    {
        Upserts(outcome);
        var reply = new NoteReply(Mr, "<!-- mrbot:reply:abc -->", "Commands: help", "help command");

        Assert.Equal(written, await _executor.ApplyReplyAsync(reply, CancellationToken.None));
        await _gitLab.Received(1).UpsertMarkedNoteAsync(Mr, "<!-- mrbot:reply:abc -->", "Commands: help", Arg.Any<CancellationToken>());
        Assert.Single(_gitLab.ReceivedCalls());
    }
}
