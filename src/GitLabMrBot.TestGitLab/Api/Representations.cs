using System.Globalization;
using System.Text.Json.Nodes;
using GitLabMrBot.TestGitLab.Model;

namespace GitLabMrBot.TestGitLab.Api;

/// <summary>REST entities in the shape of GitLab's Grape entities (API::Entities::*), the fields a client may read.</summary>
internal sealed class Representations(Urls urls)
{
    /// <summary>REST timestamps: ISO 8601 with milliseconds, UTC.</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static JsonNode? Time(DateTimeOffset? t) => t is { } v ? Time(v) : null;

    public JsonObject UserBasic(UserEntity u) => new()
    {
        ["id"] = u.Id,
        ["username"] = u.Username,
        ["name"] = u.Name,
        ["state"] = u.State,
        ["locked"] = false,
        ["avatar_url"] = urls.Avatar(u),
        ["web_url"] = urls.User(u),
    };

    public JsonObject CurrentUser(UserEntity u)
    {
        var o = UserBasic(u);
        o["created_at"] = Time(u.CreatedAt);
        o["bio"] = "";
        o["public_email"] = null;
        o["bot"] = u.Bot;
        o["email"] = u.Email;
        o["is_admin"] = u.Admin;
        o["two_factor_enabled"] = false;
        o["external"] = false;
        return o;
    }

    public static JsonObject Status(UserEntity u) => new()
    {
        ["emoji"] = u.StatusEmoji,
        ["availability"] = u.Availability,
        ["message"] = u.StatusMessage,
        ["message_html"] = System.Net.WebUtility.HtmlEncode(u.StatusMessage),
        ["clear_status_at"] = null,
    };

    public JsonObject Member(UserEntity u, AccessLevel level)
    {
        var o = UserBasic(u);
        o["access_level"] = (int)level;
        o["created_at"] = Time(u.CreatedAt);
        o["expires_at"] = null;
        o["membership_state"] = "active";
        return o;
    }

    public JsonObject Project(ProjectEntity p) => new()
    {
        ["id"] = p.Id,
        ["description"] = "",
        ["name"] = p.Path,
        ["name_with_namespace"] = $"{p.Namespace.Name} / {p.Path}",
        ["path"] = p.Path,
        ["path_with_namespace"] = p.PathWithNamespace,
        ["created_at"] = Time(p.CreatedAt),
        ["default_branch"] = p.DefaultBranch,
        ["ssh_url_to_repo"] = urls.GitSsh(p),
        ["http_url_to_repo"] = urls.GitHttp(p),
        ["web_url"] = urls.Project(p),
        ["visibility"] = "internal",
        ["namespace"] = new JsonObject
        {
            ["id"] = p.Namespace.Id,
            ["name"] = p.Namespace.Name,
            ["path"] = p.Namespace.FullPath.Split('/')[^1],
            ["kind"] = "group",
            ["full_path"] = p.Namespace.FullPath,
            ["parent_id"] = p.Namespace.Parent?.Id,
        },
        ["archived"] = false,
        ["merge_method"] = p.MergeMethod,
    };

    public JsonObject Group(GroupEntity g) => new()
    {
        ["id"] = g.Id,
        ["web_url"] = urls.Group(g),
        ["name"] = g.Name,
        ["path"] = g.FullPath.Split('/')[^1],
        ["description"] = "",
        ["visibility"] = "internal",
        ["full_name"] = string.Join(" / ", g.SelfAndAncestors().Reverse().Select(a => a.Name)),
        ["full_path"] = g.FullPath,
        ["parent_id"] = g.Parent?.Id,
        ["avatar_url"] = null,
    };

    /// <summary>
    /// <c>API::Entities::ProjectHook</c> / <c>EE::API::Entities::GroupHook</c>: every trigger flag, the auto-disable state
    /// (<c>alert_status</c>, <c>disabled_until</c>), and never the token.
    /// </summary>
    public static JsonObject Hook(HookEntity h, DateTimeOffset now)
    {
        var o = new JsonObject
        {
            ["id"] = h.Id,
            ["url"] = h.Url,
            ["name"] = "",
            ["description"] = "",
            ["created_at"] = Time(h.CreatedAt),
            ["push_events"] = h.Events.Push,
            ["push_events_branch_filter"] = "",
            ["branch_filter_strategy"] = "wildcard",
            ["issues_events"] = false,
            ["confidential_issues_events"] = false,
            ["merge_requests_events"] = h.Events.MergeRequests,
            ["tag_push_events"] = false,
            ["note_events"] = h.Events.Notes,
            ["confidential_note_events"] = h.Events.ConfidentialNotes,
            ["job_events"] = false,
            ["pipeline_events"] = false,
            ["wiki_page_events"] = false,
            ["deployment_events"] = false,
            ["feature_flag_events"] = false,
            ["releases_events"] = false,
            ["resource_access_token_events"] = false,
            ["enable_ssl_verification"] = h.EnableSslVerification,
            ["repository_update_events"] = false,
            ["alert_status"] = h.AlertStatus(now),
            ["disabled_until"] = h.PermanentlyDisabled ? null : Time(h.DisabledUntil),
            ["url_variables"] = new JsonArray(),
            ["custom_webhook_template"] = null,
            ["custom_headers"] = new JsonArray(),
        };
        if (h.Project is not null)
        {
            o["project_id"] = h.Project.Id;
        }
        else
        {
            o["group_id"] = h.Group!.Id;
            o["subgroup_events"] = false;
            o["member_events"] = false;
            o["project_events"] = false;
            o["emoji_events"] = false;
        }

        return o;
    }

    public static JsonObject Token(TokenEntity t) => new()
    {
        ["id"] = t.Id,
        ["name"] = t.Name,
        ["revoked"] = false,
        ["created_at"] = Time(t.CreatedAt),
        ["description"] = "",
        ["scopes"] = new JsonArray([.. t.Scopes.Select(s => (JsonNode)s)]),
        ["user_id"] = t.User.Id,
        ["last_used_at"] = Time(t.CreatedAt),
        ["active"] = true,
        ["expires_at"] = null,
    };

    public static JsonObject Label(LabelEntity l) => new()
    {
        ["id"] = l.Id,
        ["name"] = l.Name,
        ["color"] = l.Color,
        ["text_color"] = TextColor(l.Color),
        ["description"] = l.Description,
        ["description_html"] = System.Net.WebUtility.HtmlEncode(l.Description),
        ["open_issues_count"] = 0,
        ["closed_issues_count"] = 0,
        ["open_merge_requests_count"] = 0,
        ["subscribed"] = false,
        ["priority"] = null,
        ["is_project_label"] = true,
    };

    public static string TextColor(string color) =>
        color.Length == 7 && int.TryParse(color.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var rgb)
        && ((rgb >> 16) * 299 + ((rgb >> 8) & 0xff) * 587 + (rgb & 0xff) * 114) / 1000 < 128
            ? "#FFFFFF"
            : "#1F1E24";

    public JsonObject MergeRequest(MergeRequestEntity mr, bool single)
    {
        var o = new JsonObject
        {
            ["id"] = mr.Id,
            ["iid"] = mr.Iid,
            ["project_id"] = mr.Project.Id,
            ["title"] = mr.Title,
            ["description"] = mr.Description,
            ["state"] = mr.State,
            ["created_at"] = Time(mr.CreatedAt),
            ["updated_at"] = Time(mr.UpdatedAt),
            ["merged_by"] = mr.MergedBy is null ? null : UserBasic(mr.MergedBy),
            ["merge_user"] = mr.MergedBy is null ? null : UserBasic(mr.MergedBy),
            ["merged_at"] = Time(mr.MergedAt),
            ["closed_by"] = mr.ClosedBy is null ? null : UserBasic(mr.ClosedBy),
            ["closed_at"] = Time(mr.ClosedAt),
            ["target_branch"] = mr.TargetBranch,
            ["source_branch"] = mr.SourceBranch,
            ["user_notes_count"] = mr.Notes.Count(n => !n.System),
            ["upvotes"] = 0,
            ["downvotes"] = 0,
            ["author"] = UserBasic(mr.Author),
            ["assignees"] = new JsonArray([.. mr.Assignees.Select(u => (JsonNode)UserBasic(u))]),
            ["assignee"] = mr.Assignees.Count > 0 ? UserBasic(mr.Assignees[0]) : null,
            ["reviewers"] = new JsonArray([.. mr.Reviewers.Select(u => (JsonNode)UserBasic(u))]),
            ["source_project_id"] = mr.Project.Id,
            ["target_project_id"] = mr.Project.Id,
            ["labels"] = new JsonArray([.. mr.Labels.Select(l => l.Name).Order(StringComparer.Ordinal).Select(n => (JsonNode)n)]),
            ["draft"] = mr.Draft,
            ["work_in_progress"] = mr.Draft,
            ["milestone"] = null,
            ["merge_when_pipeline_succeeds"] = false,
            ["merge_status"] = mr.MergeStatus,
            ["detailed_merge_status"] = mr.DetailedMergeStatus,
            ["sha"] = mr.Sha,
            ["merge_commit_sha"] = null,
            ["squash_commit_sha"] = null,
            ["discussion_locked"] = null,
            ["should_remove_source_branch"] = null,
            ["force_remove_source_branch"] = false,
            ["prepared_at"] = Time(mr.CreatedAt),
            ["reference"] = $"!{mr.Iid}",
            ["references"] = new JsonObject
            {
                ["short"] = $"!{mr.Iid}",
                ["relative"] = $"!{mr.Iid}",
                ["full"] = $"{mr.Project.PathWithNamespace}!{mr.Iid}",
            },
            ["web_url"] = urls.MergeRequest(mr),
            ["squash"] = false,
            ["has_conflicts"] = Mergeability.CannotBeMerged(mr),
            ["blocking_discussions_resolved"] = true,
        };
        if (single)
        {
            o["diff_refs"] = new JsonObject { ["base_sha"] = mr.BaseSha, ["head_sha"] = mr.Sha, ["start_sha"] = mr.BaseSha };
            o["first_contribution"] = false;
            o["user"] = new JsonObject { ["can_merge"] = true };
        }

        return o;
    }

    public JsonObject Note(NoteEntity n) => new()
    {
        ["id"] = n.Id,
        ["type"] = null,
        ["body"] = n.Body,
        ["attachment"] = null,
        ["author"] = UserBasic(n.Author),
        ["created_at"] = Time(n.CreatedAt),
        ["updated_at"] = Time(n.UpdatedAt),
        ["system"] = n.System,
        ["noteable_id"] = n.MergeRequest.Id,
        ["noteable_type"] = "MergeRequest",
        ["project_id"] = n.MergeRequest.Project.Id,
        ["resolvable"] = false,
        ["confidential"] = n.Internal,
        ["internal"] = n.Internal,
        ["imported"] = false,
        ["imported_from"] = "none",
        ["noteable_iid"] = n.MergeRequest.Iid,
        ["commands_changes"] = new JsonObject(),
    };

    public JsonObject LabelEvent(LabelEventEntity e) => new()
    {
        ["id"] = e.Id,
        ["user"] = UserBasic(e.User),
        ["created_at"] = Time(e.CreatedAt),
        ["resource_type"] = "MergeRequest",
        ["resource_id"] = e.MergeRequest.Id,
        ["label"] = new JsonObject
        {
            ["id"] = e.Label.Id,
            ["name"] = e.Label.Name,
            ["color"] = e.Label.Color,
            ["description"] = e.Label.Description,
        },
        ["action"] = e.Action,
    };

    /// <summary>A stored diff as <c>API::Entities::Diff</c> shows it; <c>collapsed</c>/<c>too_large</c> only from GitLab 18.4 (<paramref name="flags"/>).</summary>
    public static JsonObject Diff(StoredDiff stored, bool flags)
    {
        var o = Diff(stored.File);
        o["diff"] = stored.Diff;
        if (flags)
        {
            o["collapsed"] = stored.Collapsed;
            o["too_large"] = stored.TooLarge;
        }

        return o;
    }

    public static JsonObject Diff(FileDiff d) => new()
    {
        ["old_path"] = d.OldPath,
        ["new_path"] = d.NewPath,
        ["a_mode"] = d.NewFile ? "0" : "100644",
        ["b_mode"] = d.DeletedFile ? "0" : "100644",
        ["diff"] = d.Diff,
        ["new_file"] = d.NewFile,
        ["renamed_file"] = false,
        ["deleted_file"] = d.DeletedFile,
        ["generated_file"] = false,
    };

    public JsonObject Commit(ProjectEntity p, CommitEntity c) => new()
    {
        ["id"] = c.Sha,
        ["short_id"] = c.Sha[..8],
        ["created_at"] = Time(c.CreatedAt),
        ["parent_ids"] = c.ParentSha is null ? new JsonArray() : new JsonArray(c.ParentSha),
        ["title"] = c.Title,
        ["message"] = c.Message,
        ["author_name"] = c.Author.Name,
        ["author_email"] = c.Author.Email,
        ["authored_date"] = Time(c.CreatedAt),
        ["committer_name"] = c.Author.Name,
        ["committer_email"] = c.Author.Email,
        ["committed_date"] = Time(c.CreatedAt),
        ["trailers"] = new JsonObject(),
        ["extended_trailers"] = new JsonObject(),
        ["web_url"] = urls.Commit(p, c.Sha),
    };
}
