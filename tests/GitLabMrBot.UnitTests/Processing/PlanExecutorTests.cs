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
    private readonly PlanExecutor _executor;

    public PlanExecutorTests()
    {
        _executor = new PlanExecutor(_gitLab, NullLogger<PlanExecutor>.Instance);
        Upserts(NoteUpsertOutcome.Created);
        _gitLab.EnsureLabelsAsync(default, default!, default).ReturnsForAnyArgs(call => (IReadOnlyList<string>)[.. call.Arg<IEnumerable<LabelDefinition>>().Select(l => l.Name)]);
    }

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
        Assert.Equal(nameof(IMergeRequestWriter.UpdateMergeRequestAsync), call.GetMethodInfo().Name);
        var update = (MergeRequestUpdate)call.GetArguments()[1]!;
        Assert.Equal(["backend"], update.AddLabels!);
        Assert.Equal(["frontend"], update.RemoveLabels!);
        Assert.Equal([4L, 2L], update.ReviewerIds);
        Assert.Equal([1L], update.AssigneeIds);
    }

    [Fact]
    public async Task People_alone_are_one_update_that_leaves_the_labels_alone()
    {
        var plan = Settled() with { People = new PeoplePlan { ReviewerIds = [2] }, SummaryComment = false };

        await _executor.ApplyAsync(plan, [], CancellationToken.None);

        await _gitLab.Received(1).UpdateMergeRequestAsync(Mr,
            Arg.Is<MergeRequestUpdate>(u => u.AddLabels!.Count == 0 && u.RemoveLabels!.Count == 0 && u.ReviewerIds!.Count == 1 && u.ReviewerIds[0] == 2 && u.AssigneeIds == null),
            Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Missing_labels_are_created_before_the_update()
    {
        var writes = await _executor.ApplyAsync(Busy() with { Comments = [], SummaryComment = false }, [], CancellationToken.None);

        Received.InOrder(() =>
        {
            _gitLab.EnsureLabelsAsync(7, Arg.Is<IEnumerable<LabelDefinition>>(l => l.Single() == new LabelDefinition("backend", "#6699cc", null)), Arg.Any<CancellationToken>());
            _gitLab.UpdateMergeRequestAsync(Mr, Arg.Any<MergeRequestUpdate>(), Arg.Any<CancellationToken>());
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
