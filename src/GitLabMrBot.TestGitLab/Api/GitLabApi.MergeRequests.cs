using System.Text.Json.Nodes;
using GitLabMrBot.TestGitLab.Model;

namespace GitLabMrBot.TestGitLab.Api;

internal sealed partial class GitLabApi
{
    // Grape's at_least_one_of list for PUT /projects/:id/merge_requests/:iid (lib/api/merge_requests.rb).
    private static readonly string[] UpdateAttributes =
    [
        "assignee_id", "assignee_ids", "reviewer_ids", "description", "labels", "add_labels", "remove_labels", "milestone_id",
        "remove_source_branch", "allow_collaboration", "allow_maintainer_to_push", "squash", "target_branch", "title",
        "state_event", "discussion_locked",
    ];

    /// <summary><c>GET /merge_requests</c>: like GitLab, <c>scope</c> defaults to <c>created_by_me</c>; pass <c>scope=all</c> for review load.</summary>
    private ApiResult ListAllMergeRequests(ApiRequest r)
    {
        var caller = r.Caller;
        var scope = r.Params.OneOf("scope", "created_by_me", "created-by-me", "assigned_to_me", "assigned-to-me", "reviews_for_me", "all") ?? "created_by_me";
        var all = state.Projects.SelectMany(p => p.MergeRequests);
        all = scope.Replace('-', '_') switch
        {
            "created_by_me" => all.Where(m => m.Author == caller),
            "assigned_to_me" => all.Where(m => m.Assignees.Contains(caller)),
            "reviews_for_me" => all.Where(m => m.Reviewers.Contains(caller)),
            _ => all,
        };
        return ListMergeRequests(r, all);
    }

    private ApiResult ListProjectMergeRequests(ApiRequest r) => ListMergeRequests(r, Project(r).MergeRequests);

    /// <summary><c>GET /groups/:id/merge_requests</c>: the MRs of every project in the group and its subgroups.</summary>
    private ApiResult ListGroupMergeRequests(ApiRequest r)
    {
        var group = Group(r);
        return ListMergeRequests(r, state.Projects
            .Where(p => p.Namespace.SelfAndAncestors().Any(g => g.Id == group.Id))
            .SelectMany(p => p.MergeRequests));
    }

    private ApiResult ListMergeRequests(ApiRequest r, IEnumerable<MergeRequestEntity> source)
    {
        var p = r.Params;
        var stateFilter = p.OneOf("state", "opened", "closed", "locked", "merged", "all") ?? "all";
        var orderBy = p.OneOf("order_by", "created_at", "updated_at", "title", "merged_at") ?? "created_at";
        var sort = p.OneOf("sort", "asc", "desc") ?? "desc";
        var source_branch = p.String("source_branch");
        var target_branch = p.String("target_branch");
        var updatedAfter = p.Time("updated_after");
        var updatedBefore = p.Time("updated_before");
        var createdAfter = p.Time("created_after");
        var createdBefore = p.Time("created_before");
        var authorId = p.Int("author_id");
        var labels = p.List("labels");

        var list = source.Where(m => stateFilter == "all" || m.State == stateFilter)
            .Where(m => source_branch is null || m.SourceBranch == source_branch)
            .Where(m => target_branch is null || m.TargetBranch == target_branch)
            .Where(m => updatedAfter is null || m.UpdatedAt >= updatedAfter)
            .Where(m => updatedBefore is null || m.UpdatedAt <= updatedBefore)
            .Where(m => createdAfter is null || m.CreatedAt >= createdAfter)
            .Where(m => createdBefore is null || m.CreatedAt <= createdBefore)
            .Where(m => authorId is null || m.Author.Id == authorId)
            .Where(m => UserFilter(p, "reviewer", m.Reviewers))
            .Where(m => UserFilter(p, "assignee", m.Assignees))
            .Where(m => labels is null || LabelFilter(labels, m));

        Func<MergeRequestEntity, IComparable> key = orderBy switch
        {
            "updated_at" => m => m.UpdatedAt,
            "title" => m => m.Title,
            "merged_at" => m => m.MergedAt ?? DateTimeOffset.MinValue,
            _ => m => m.CreatedAt,
        };
        var ordered = sort == "asc" ? list.OrderBy(key).ThenBy(m => m.Id) : list.OrderByDescending(key).ThenByDescending(m => m.Id);
        return ApiResult.Paged(r, Nodes(ordered, m => json.MergeRequest(m, single: false)));
    }

    /// <summary><c>reviewer_id</c>/<c>assignee_id</c>: a user id, <c>None</c> or <c>Any</c>; <c>*_username</c> by name.</summary>
    private static bool UserFilter(ParamBag p, string role, List<UserEntity> users)
    {
        var id = p.String($"{role}_id");
        var username = p.String($"{role}_username");
        return (id, username) switch
        {
            (null, null) => true,
            ("None" or "none", _) => users.Count == 0,
            ("Any" or "any", _) => users.Count > 0,
            (not null, _) => int.TryParse(id, out var i) ? users.Any(u => u.Id == i) : throw new ApiError(ApiResult.Error(400, $"{role}_id is invalid")),
            (_, not null) => users.Any(u => u.Username.Equals(username, StringComparison.OrdinalIgnoreCase)),
        };
    }

    private static bool LabelFilter(IReadOnlyList<string> labels, MergeRequestEntity m) => labels switch
    {
        ["None" or "none"] => m.Labels.Count == 0,
        ["Any" or "any"] => m.Labels.Count > 0,
        _ => labels.All(name => m.Labels.Any(l => l.Name == name)),
    };

    private ApiResult GetMergeRequest(ApiRequest r)
    {
        var mr = MergeRequest(r);
        var o = json.MergeRequest(mr, single: true);
        // A string, "1000+" once the diff overflowed the instance's limits (docs/gitlab-behaviour.md §3.2).
        o["changes_count"] = state.StoredDiffs(mr).RealSize;
        // Only on request: counting the commits behind costs GitLab a git call (docs/gitlab-behaviour.md §3.2).
        if (r.Params.Bool("include_diverged_commits_count") == true)
        {
            o["diverged_commits_count"] = Mergeability.DivergedCommitsCount(mr);
        }

        return ApiResult.Ok(o);
    }

    /// <summary>
    /// The stored diff page by page (docs/gitlab-behaviour.md §3.2): too-large and collapsed files with
    /// an empty <c>diff</c>, flagged from GitLab 18.4 on. With <see cref="DiffSettings.DiffsPerPageLimit"/>, a larger
    /// <c>per_page</c> answers 500 as older GitLab versions did on large MRs.
    /// </summary>
    private ApiResult MergeRequestDiffs(ApiRequest r)
    {
        var mr = MergeRequest(r);
        var settings = state.DiffSettings;
        if (settings.DiffsPerPageLimit is { } limit && r.Params.Int("per_page") > limit)
        {
            return ApiResult.Message(500, "500 Internal Server Error");
        }

        return ApiResult.Paged(r, Nodes(state.StoredDiffs(mr).Files, d => Representations.Diff(d, settings.Flags)));
    }

    private ApiResult MergeRequestCommits(ApiRequest r)
    {
        var mr = MergeRequest(r);
        return ApiResult.Paged(r, Nodes(state.MergeRequestCommits(mr), c => json.Commit(mr.Project, c)));
    }

    private ApiResult LabelEvents(ApiRequest r) =>
        ApiResult.Paged(r, Nodes(MergeRequest(r).LabelEvents.OrderBy(e => e.CreatedAt).ThenBy(e => e.Id), e => json.LabelEvent(e)));

    /// <summary>
    /// <c>PUT /projects/:id/merge_requests/:iid</c>. Lists accept a JSON array, <c>name[]=</c> repeats or a comma string.
    /// <c>assignee_ids</c>/<c>reviewer_ids</c> replace the whole list (<c>0</c> or empty clears it) after GitLab's filter
    /// (<see cref="GitLabState.FilterPeopleIds"/>): on Free only the first id counts, unknown users are dropped, and a list
    /// left with nobody leaves the merge request's list as it was.
    /// </summary>
    private ApiResult UpdateMergeRequest(ApiRequest r)
    {
        var mr = MergeRequest(r);
        var p = r.Params;
        if (!UpdateAttributes.Any(p.Has))
        {
            return ApiResult.Error(400, $"{string.Join(", ", UpdateAttributes)} are missing, at least one parameter must be provided");
        }

        RequireCanUpdate(r.Caller, mr);
        var stateEvent = p.OneOf("state_event", "close", "reopen");
        var title = p.String("title");
        if (title is not null && string.IsNullOrWhiteSpace(title))
        {
            return new ApiResult(400, new JsonObject { ["message"] = new JsonObject { ["title"] = new JsonArray("can't be blank") } });
        }

        var assigneeIds = p.IntList("assignee_ids") ?? (p.Has("assignee_id") ? [p.Int("assignee_id") ?? 0] : null);
        var change = new MergeRequestChange
        {
            Title = title,
            Description = p.String("description"),
            Labels = p.Has("labels") ? p.List("labels") : null,
            AddLabels = p.List("add_labels"),
            RemoveLabels = p.List("remove_labels"),
            Assignees = state.FilterPeopleIds(assigneeIds),
            Reviewers = state.FilterPeopleIds(p.IntList("reviewer_ids")),
            StateEvent = stateEvent,
        };
        state.UpdateMergeRequest(r.Caller, mr, change, r.Scope);
        return ApiResult.Ok(json.MergeRequest(mr, single: true));
    }
}
