using System.Net;
using System.Text.Json.Nodes;

namespace GitLabMrBot.TestGitLab.Tests;

/// <summary>
/// How many reviewers and assignees a merge request keeps, by tier, and what the update's answer then says
/// (docs/gitlab-behaviour.md §3.2): <c>filter_reviewer</c> and <c>filter_assignees_using_checks</c>.
/// </summary>
public sealed class FreeTierPeopleTests : GitLabTestBase
{
    private string MrPath(GitLabMergeRequest mr) => $"projects/{Project.Id}/merge_requests/{mr.Iid}";

    private static List<string> Names(JsonNode mr, string list) => [.. mr[list]!.AsArray().Select(u => (string)u!["username"]!)];

    [Fact]
    public async Task Premium_keeps_every_reviewer_and_assignee_sent()
    {
        var mr = OpenMr();

        var answer = await Json(await PutJson(MrPath(mr), new { reviewer_ids = new[] { Bob.Id, Carol.Id }, assignee_ids = new[] { Carol.Id, Bob.Id } }));

        Assert.Equal(["bob", "carol"], Names(answer, "reviewers"));
        Assert.Equal(["carol", "bob"], Names(answer, "assignees"));
    }

    [Fact]
    public async Task Free_keeps_the_first_reviewer_and_the_first_assignee_and_the_answer_says_so()
    {
        Server.UseFreeTier();
        var mr = OpenMr();

        var response = await PutJson(MrPath(mr), new { reviewer_ids = new[] { Carol.Id, Bob.Id }, assignee_ids = new[] { Bob.Id, Carol.Id } });
        var answer = await Json(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["carol"], Names(answer, "reviewers"));
        Assert.Equal(["bob"], Names(answer, "assignees"));
        Assert.Equal(["carol"], Server.GetMergeRequest(mr).Reviewers);
        Assert.Contains(Server.GetNotes(mr), n => n.System && n.Body == "requested review from @carol");
    }

    [Fact]
    public async Task Free_keeps_the_first_id_sent_so_a_list_that_starts_with_the_current_reviewer_changes_nothing()
    {
        Server.MultipleReviewersAndAssignees = false;
        var mr = OpenMr(reviewers: [Bob]);

        var answer = await Json(await PutJson(MrPath(mr), new { reviewer_ids = new[] { Bob.Id, Carol.Id } }));

        Assert.Equal(["bob"], Names(answer, "reviewers"));
        Assert.DoesNotContain(Server.GetNotes(mr), n => n.System && n.Body.Contains("review", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_list_left_with_nobody_who_can_read_the_MR_leaves_the_list_as_it_was()
    {
        Server.MultipleReviewersAndAssignees = false;
        var mr = OpenMr(reviewers: [Bob]);

        // first(1) keeps the unknown id; nobody is left, so GitLab deletes the parameter instead of clearing the list.
        var answer = await Json(await PutJson(MrPath(mr), new { reviewer_ids = new[] { 99_999, Carol.Id } }));
        var cleared = await Json(await PutJson(MrPath(mr), new { reviewer_ids = new[] { 0 } }));

        Assert.Equal(["bob"], Names(answer, "reviewers"));
        Assert.Empty(Names(cleared, "reviewers"));
    }

    [Fact]
    public void Seeding_follows_the_same_rule()
    {
        Server.MultipleReviewersAndAssignees = false;

        var mr = OpenMr(reviewers: [Bob, Carol]);
        Server.UpdateMergeRequest(Alice, mr, new MergeRequestUpdate { Assignees = [Carol, Bob] });

        Assert.Equal(["bob"], Server.GetMergeRequest(mr).Reviewers);
        Assert.Equal(["carol"], Server.GetMergeRequest(mr).Assignees);
    }

    [Fact]
    public void UseFreeTier_also_turns_group_hooks_off()
    {
        Server.UseFreeTier();

        Assert.False(Server.GroupHooksAvailable);
        Assert.False(Server.MultipleReviewersAndAssignees);
    }
}
