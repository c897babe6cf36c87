namespace GitLabMrBot.TestGitLab;

/// <summary>Tier switches beyond <see cref="GroupHooksAvailable"/>: how many reviewers and assignees a merge request keeps.</summary>
public sealed partial class TestGitLabServer
{
    /// <summary>
    /// False emulates GitLab Free for people: a merge request keeps one reviewer and one assignee, the first id of the list
    /// sent (<c>filter_reviewer</c> and <c>filter_assignees_using_checks</c> take <c>first(1)</c> without the licensed
    /// features <c>multiple_merge_request_reviewers</c>/<c>multiple_merge_request_assignees</c>), and the update's answer
    /// shows what was kept. Seeding follows the same rule. Default true (Premium).
    /// </summary>
    public bool MultipleReviewersAndAssignees
    {
        get
        {
            lock (state.Gate)
            {
                return state.MultipleReviewersAndAssignees;
            }
        }

        set
        {
            lock (state.Gate)
            {
                state.MultipleReviewersAndAssignees = value;
            }
        }
    }

    /// <summary>GitLab Free in every respect the emulator models: no group hooks, one reviewer and one assignee per merge request.</summary>
    public void UseFreeTier()
    {
        GroupHooksAvailable = false;
        MultipleReviewersAndAssignees = false;
    }
}
