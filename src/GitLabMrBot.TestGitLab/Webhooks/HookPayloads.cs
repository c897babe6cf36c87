using System.Globalization;
using System.Text.Json.Nodes;
using GitLabMrBot.TestGitLab.Model;

namespace GitLabMrBot.TestGitLab.Webhooks;

/// <summary>
/// Webhook bodies with the fields of GitLab's documented examples (the examples in GitLab's webhook events documentation, doc/user/project/integrations/webhook_events.md). Timestamps use the
/// mixed formats real payloads use: ISO "Z" in MR attributes, "yyyy-MM-dd HH:mm:ss UTC" in changes and notes,
/// ISO with offset in commits, so a receiver that only parses one format fails here as it would against GitLab.
/// </summary>
internal sealed class HookPayloads(Urls urls)
{
    public const string MergeRequestHook = "Merge Request Hook";
    public const string NoteHook = "Note Hook";

    /// <summary>The event of a note in an internal thread (<c>confidential_note_hooks</c> titleized).</summary>
    public const string ConfidentialNoteHook = "Confidential Note Hook";
    public const string PushHook = "Push Hook";

    public static string IsoTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string UtcTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string OffsetTime(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    public JsonObject User(UserEntity u) => new()
    {
        ["id"] = u.Id,
        ["name"] = u.Name,
        ["username"] = u.Username,
        ["avatar_url"] = urls.Avatar(u),
        ["email"] = "[REDACTED]",
    };

    /// <summary>Users inside <c>assignees</c>/<c>reviewers</c> and <c>changes</c> carry no email.</summary>
    public JsonObject UserShort(UserEntity u) => new()
    {
        ["id"] = u.Id,
        ["name"] = u.Name,
        ["username"] = u.Username,
        ["avatar_url"] = urls.Avatar(u),
    };

    public JsonObject Project(ProjectEntity p) => new()
    {
        ["id"] = p.Id,
        ["name"] = p.Path,
        ["description"] = "",
        ["web_url"] = urls.Project(p),
        ["avatar_url"] = null,
        ["git_ssh_url"] = urls.GitSsh(p),
        ["git_http_url"] = urls.GitHttp(p),
        ["namespace"] = p.Namespace.Name,
        ["visibility_level"] = 10,
        ["path_with_namespace"] = p.PathWithNamespace,
        ["default_branch"] = p.DefaultBranch,
        ["ci_config_path"] = "",
        ["homepage"] = urls.Project(p),
        ["url"] = urls.GitHttp(p),
        ["ssh_url"] = urls.GitSsh(p),
        ["http_url"] = urls.GitHttp(p),
    };

    /// <summary>MR <c>source</c>/<c>target</c> project objects: the project hook attrs without <c>id</c> and <c>ci_config_path</c>.</summary>
    private JsonObject SourceOrTarget(ProjectEntity p)
    {
        var o = Project(p);
        o.Remove("id");
        o.Remove("ci_config_path");
        return o;
    }

    private JsonObject Repository(ProjectEntity p) => new()
    {
        ["name"] = p.Path,
        ["url"] = urls.GitHttp(p),
        ["description"] = "",
        ["homepage"] = urls.Project(p),
    };

    public static JsonObject Label(LabelEntity l) => new()
    {
        ["id"] = l.Id,
        ["title"] = l.Name,
        ["color"] = l.Color,
        ["project_id"] = l.ProjectId,
        ["created_at"] = IsoTime(l.CreatedAt),
        ["updated_at"] = IsoTime(l.CreatedAt),
        ["template"] = false,
        ["description"] = l.Description,
        ["type"] = "ProjectLabel",
        ["group_id"] = null,
    };

    public JsonArray Labels(IEnumerable<LabelEntity> labels) => new([.. labels.Select(l => (JsonNode)Label(l))]);

    public JsonArray Users(IEnumerable<UserEntity> users) => new([.. users.Select(u => (JsonNode)UserShort(u))]);

    private JsonObject LastCommit(MergeRequestEntity mr)
    {
        var c = mr.Project.Commits[mr.Sha];
        return new JsonObject
        {
            ["id"] = c.Sha,
            ["message"] = c.Message,
            ["title"] = c.Title,
            ["timestamp"] = OffsetTime(c.CreatedAt),
            ["url"] = urls.Commit(mr.Project, c.Sha),
            ["author"] = new JsonObject { ["name"] = c.Author.Name, ["email"] = c.Author.Email },
        };
    }

    private JsonObject MergeRequestAttributes(MergeRequestEntity mr) => new()
    {
        ["id"] = mr.Id,
        ["iid"] = mr.Iid,
        ["target_branch"] = mr.TargetBranch,
        ["source_branch"] = mr.SourceBranch,
        ["source_project_id"] = mr.Project.Id,
        ["author_id"] = mr.Author.Id,
        ["assignee_ids"] = new JsonArray([.. mr.Assignees.Select(u => (JsonNode)u.Id)]),
        ["assignee_id"] = mr.Assignees.Count > 0 ? mr.Assignees[0].Id : null,
        ["reviewer_ids"] = new JsonArray([.. mr.Reviewers.Select(u => (JsonNode)u.Id)]),
        ["title"] = mr.Title,
        ["created_at"] = IsoTime(mr.CreatedAt),
        ["updated_at"] = IsoTime(mr.UpdatedAt),
        ["last_edited_at"] = mr.LastEditedAt is { } e ? IsoTime(e) : null,
        ["last_edited_by_id"] = mr.LastEditedBy?.Id,
        ["milestone_id"] = null,
        ["state_id"] = mr.StateId,
        ["state"] = mr.State,
        ["blocking_discussions_resolved"] = true,
        ["work_in_progress"] = mr.Draft,
        ["draft"] = mr.Draft,
        ["first_contribution"] = false,
        ["merge_status"] = mr.MergeStatus,
        ["target_project_id"] = mr.Project.Id,
        ["description"] = mr.Description,
        ["prepared_at"] = IsoTime(mr.CreatedAt),
        ["total_time_spent"] = 0,
        ["time_change"] = 0,
        ["human_total_time_spent"] = null,
        ["human_time_change"] = null,
        ["human_time_estimate"] = null,
        ["url"] = urls.MergeRequest(mr),
        ["source"] = SourceOrTarget(mr.Project),
        ["target"] = SourceOrTarget(mr.Project),
        ["last_commit"] = LastCommit(mr),
        ["labels"] = Labels(mr.Labels),
        ["detailed_merge_status"] = mr.DetailedMergeStatus,
    };

    /// <summary>
    /// A Merge Request Hook body. <paramref name="oldRev"/> is set only when the event carries new code,
    /// as GitLab does (<c>object_attributes.oldrev</c>). <c>assignees</c>/<c>reviewers</c> are present only
    /// when the MR has some (Gitlab::DataBuilder::Issuable).
    /// </summary>
    public JsonObject MergeRequest(MergeRequestEntity mr, UserEntity actor, string action, JsonObject changes, string? oldRev = null)
    {
        var attributes = MergeRequestAttributes(mr);
        attributes["action"] = action;
        if (oldRev is not null)
        {
            attributes["oldrev"] = oldRev;
        }

        var o = new JsonObject
        {
            ["object_kind"] = "merge_request",
            ["event_type"] = "merge_request",
            ["user"] = User(actor),
            ["project"] = Project(mr.Project),
            ["repository"] = Repository(mr.Project),
            ["object_attributes"] = attributes,
            ["labels"] = Labels(mr.Labels),
            ["changes"] = changes,
        };
        if (mr.Assignees.Count > 0)
        {
            o["assignees"] = Users(mr.Assignees);
        }

        if (mr.Reviewers.Count > 0)
        {
            o["reviewers"] = Users(mr.Reviewers);
        }

        return o;
    }

    public JsonObject Note(NoteEntity note, string action)
    {
        var mr = note.MergeRequest;
        var mergeRequest = new JsonObject
        {
            ["id"] = mr.Id,
            ["target_branch"] = mr.TargetBranch,
            ["source_branch"] = mr.SourceBranch,
            ["source_project_id"] = mr.Project.Id,
            ["author_id"] = mr.Author.Id,
            ["assignee_id"] = mr.Assignees.Count > 0 ? mr.Assignees[0].Id : null,
            ["title"] = mr.Title,
            ["created_at"] = UtcTime(mr.CreatedAt),
            ["updated_at"] = UtcTime(mr.UpdatedAt),
            ["milestone_id"] = null,
            ["state"] = mr.State,
            ["merge_status"] = mr.MergeStatus,
            ["target_project_id"] = mr.Project.Id,
            ["iid"] = mr.Iid,
            ["description"] = mr.Description,
            ["position"] = 0,
            ["labels"] = Labels(mr.Labels),
            ["source"] = SourceOrTarget(mr.Project),
            ["target"] = SourceOrTarget(mr.Project),
            ["last_commit"] = LastCommit(mr),
            ["work_in_progress"] = mr.Draft,
            ["draft"] = mr.Draft,
        };
        if (mr.Assignees.Count > 0)
        {
            var a = UserShort(mr.Assignees[0]);
            a.Remove("id");
            mergeRequest["assignee"] = a;
        }

        mergeRequest["detailed_merge_status"] = mr.DetailedMergeStatus;

        return new JsonObject
        {
            ["object_kind"] = "note",
            ["event_type"] = note.Internal ? "confidential_note" : "note",
            ["user"] = User(note.Author),
            ["project_id"] = mr.Project.Id,
            ["project"] = Project(mr.Project),
            ["repository"] = Repository(mr.Project),
            ["object_attributes"] = new JsonObject
            {
                ["id"] = note.Id,
                ["note"] = note.Body,
                ["noteable_type"] = "MergeRequest",
                ["author_id"] = note.Author.Id,
                ["created_at"] = UtcTime(note.CreatedAt),
                ["updated_at"] = UtcTime(note.UpdatedAt),
                ["project_id"] = mr.Project.Id,
                ["attachment"] = null,
                ["line_code"] = null,
                ["commit_id"] = "",
                ["noteable_id"] = mr.Id,
                ["system"] = note.System,
                ["st_diff"] = null,
                ["action"] = action,
                ["url"] = $"{urls.MergeRequest(mr)}#note_{note.Id}",
            },
            ["merge_request"] = mergeRequest,
        };
    }

    /// <summary>
    /// A Push Hook body; <c>commits</c> holds the newest 20 (oldest first), <c>total_commits_count</c> the real count.
    /// <c>message</c> and <c>push_options</c> are in current GitLab's builder (Gitlab::DataBuilder::Push) though the
    /// older documented example lacks them.
    /// </summary>
    public JsonObject Push(ProjectEntity p, UserEntity actor, string branch, string before, string after, IReadOnlyList<CommitEntity> commits)
    {
        var deleted = after.All(ch => ch == '0');
        return new JsonObject
        {
            ["object_kind"] = "push",
            ["event_name"] = "push",
            ["before"] = before,
            ["after"] = after,
            ["ref"] = $"refs/heads/{branch}",
            ["ref_protected"] = branch == p.DefaultBranch,
            ["checkout_sha"] = deleted ? null : after,
            ["message"] = null,
            ["user_id"] = actor.Id,
            ["user_name"] = actor.Name,
            ["user_username"] = actor.Username,
            ["user_email"] = "",
            ["user_avatar"] = urls.Avatar(actor),
            ["project_id"] = p.Id,
            ["project"] = Project(p),
            ["repository"] = new JsonObject
            {
                ["name"] = p.Path,
                ["url"] = urls.GitSsh(p),
                ["description"] = "",
                ["homepage"] = urls.Project(p),
                ["git_http_url"] = urls.GitHttp(p),
                ["git_ssh_url"] = urls.GitSsh(p),
                ["visibility_level"] = 10,
            },
            ["commits"] = new JsonArray([.. commits.TakeLast(20).Select(c => (JsonNode)new JsonObject
            {
                ["id"] = c.Sha,
                ["message"] = c.Message,
                ["title"] = c.Title,
                ["timestamp"] = OffsetTime(c.CreatedAt),
                ["url"] = urls.Commit(p, c.Sha),
                ["author"] = new JsonObject { ["name"] = c.Author.Name, ["email"] = c.Author.Email },
                ["added"] = new JsonArray([.. c.Added.Select(s => (JsonNode)s)]),
                ["modified"] = new JsonArray([.. c.Modified.Select(s => (JsonNode)s)]),
                ["removed"] = new JsonArray([.. c.Removed.Select(s => (JsonNode)s)]),
            })]),
            ["total_commits_count"] = commits.Count,
            ["push_options"] = new JsonObject(),
        };
    }
}
