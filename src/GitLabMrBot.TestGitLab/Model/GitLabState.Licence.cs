namespace GitLabMrBot.TestGitLab.Model;

/// <summary>The licensed features that decide how many reviewers and assignees a merge request keeps.</summary>
internal sealed partial class GitLabState
{
    /// <summary>
    /// True (the default) is Premium and up: the licensed features <c>multiple_merge_request_reviewers</c> and
    /// <c>multiple_merge_request_assignees</c>. False is GitLab Free, where <c>MergeRequests::BaseService#filter_reviewer</c>
    /// and <c>IssuableBaseService#filter_assignees_using_checks</c> keep only the first id of the list sent.
    /// </summary>
    public bool MultipleReviewersAndAssignees { get; set; } = true;

    /// <summary>
    /// GitLab's filtering of <c>reviewer_ids</c>/<c>assignee_ids</c> before an update, in its order: without the licence only
    /// the first id is kept (<c>first(1)</c>); then users who cannot read the merge request are dropped; a lone <c>0</c>
    /// clears the list; when nobody is left the parameter is deleted, so the list stays as it was (null here).
    /// An empty list is blank to GitLab: it skips the filter and the list is cleared.
    /// </summary>
    public List<UserEntity>? FilterPeopleIds(IReadOnlyList<int>? ids)
    {
        if (ids is null)
        {
            return null;
        }

        if (ids.Count == 0)
        {
            return [];
        }

        var kept = MultipleReviewersAndAssignees ? ids : [.. ids.Take(1)];
        // Projects are internal: every existing user can read their merge requests.
        var readable = kept.Where(id => id != 0).Select(id => Users.Find(u => u.Id == id)).OfType<UserEntity>().Distinct().ToList();
        if (kept is [0])
        {
            return [];
        }

        return readable.Count > 0 ? readable : null;
    }

    /// <summary>The same first-one rule for people set through the seeding API (GitLab's UI goes through the same services).</summary>
    public IReadOnlyList<UserEntity>? KeepAllowedPeople(IReadOnlyList<UserEntity>? users) =>
        users is null || MultipleReviewersAndAssignees ? users : [.. users.Take(1)];
}
