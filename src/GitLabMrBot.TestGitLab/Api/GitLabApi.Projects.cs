using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GitLabMrBot.TestGitLab.Model;

namespace GitLabMrBot.TestGitLab.Api;

internal sealed partial class GitLabApi
{
    private ApiResult CurrentUser(ApiRequest r) => ApiResult.Ok(json.CurrentUser(r.Caller));

    /// <summary>
    /// <c>GET /users?username=</c>: case-insensitive exact match, as GitLab. <c>search=</c> matches names and usernames
    /// by substring and emails exactly (every seeded email counts as public here).
    /// </summary>
    private ApiResult ListUsers(ApiRequest r)
    {
        _ = r.Caller;
        var username = r.Params.String("username");
        var search = r.Params.String("search");
        var users = state.Users
            .Where(u => username is null || u.Username.Equals(username, StringComparison.OrdinalIgnoreCase))
            .Where(u => search is null
                || u.Email.Equals(search, StringComparison.OrdinalIgnoreCase)
                || u.Username.Contains(search, StringComparison.OrdinalIgnoreCase)
                || u.Name.Contains(search, StringComparison.OrdinalIgnoreCase));
        return ApiResult.Paged(r, Nodes(users, u => json.UserBasic(u)));
    }

    /// <summary>User status is readable without authentication (docs/gitlab-behaviour.md §3.1).</summary>
    private ApiResult UserStatus(ApiRequest r) =>
        state.FindUser(r["id"]) is { } user ? ApiResult.Ok(Representations.Status(user)) : throw ApiResult.NotFound("User");

    private ApiResult GetProject(ApiRequest r) => ApiResult.Ok(json.Project(Project(r)));

    /// <summary>Direct members of the project only, no inherited group members.</summary>
    private ApiResult ProjectMembers(ApiRequest r) =>
        ApiResult.Paged(r, Nodes(state.AllMembers([Project(r).Members]), m => json.Member(m.User, m.Level)));

    private ApiResult ProjectMembersAll(ApiRequest r)
    {
        var project = Project(r);
        var members = state.AllMembers(project.Namespace.SelfAndAncestors().Select(g => g.Members).Append(project.Members));
        return ApiResult.Paged(r, Nodes(members, m => json.Member(m.User, m.Level)));
    }

    /// <summary>
    /// One member at the highest level of any of their memberships; a non-member is <c>find_by!</c>'s generic 404, and
    /// a user id that is not a number fails Grape's <c>type: Integer</c> (docs/gitlab-behaviour.md §3.5).
    /// </summary>
    private ApiResult ProjectMemberAll(ApiRequest r)
    {
        var project = Project(r);
        if (!int.TryParse(r["user_id"], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var id))
        {
            return ApiResult.Error(400, "user_id is invalid");
        }

        var members = state.AllMembers(project.Namespace.SelfAndAncestors().Select(g => g.Members).Append(project.Members));
        return members.FirstOrDefault(m => m.User.Id == id) is { User: not null } m
            ? ApiResult.Ok(json.Member(m.User, m.Level))
            : throw new ApiError(ApiResult.Message(404, "404 Not found"));
    }

    private GroupEntity Group(ApiRequest r)
    {
        _ = r.Caller;
        return state.FindGroup(r["id"]) ?? throw ApiResult.NotFound("Group");
    }

    private ApiResult GroupMembers(ApiRequest r) =>
        ApiResult.Paged(r, Nodes(state.AllMembers([Group(r).Members]), m => json.Member(m.User, m.Level)));

    private ApiResult GroupMembersAll(ApiRequest r) =>
        ApiResult.Paged(r, Nodes(state.AllMembers(Group(r).SelfAndAncestors().Select(g => g.Members)), m => json.Member(m.User, m.Level)));

    /// <summary>Raw file at a branch, tag-less ref or commit sha; default ref is the project's default branch.</summary>
    private ApiResult RawFile(ApiRequest r)
    {
        var project = Project(r);
        var commit = state.FindCommit(project, r.Params.String("ref") ?? project.DefaultBranch);
        return commit is not null && commit.Files.TryGetValue(r["file_path"], out var text)
            ? new ApiResult(200, null, text)
            : throw ApiResult.NotFound("File");
    }

    private ApiResult ListLabels(ApiRequest r)
    {
        var project = Project(r);
        var search = r.Params.String("search");
        var labels = project.Labels.Where(l => search is null || l.Name.Contains(search, StringComparison.OrdinalIgnoreCase))
            .OrderBy(l => l.Name, StringComparer.OrdinalIgnoreCase);
        return ApiResult.Paged(r, Nodes(labels, l => Representations.Label(l)));
    }

    /// <summary><c>POST /projects/:id/labels</c>: name and color required; an existing name is 409 Label already exists.</summary>
    private ApiResult CreateLabel(ApiRequest r)
    {
        var project = Project(r);
        if (state.AccessOf(r.Caller, project) < AccessLevel.Reporter)
        {
            throw ApiResult.Forbidden();
        }

        var name = r.Params.String("name")?.Trim();
        var color = r.Params.String("color")?.Trim();
        var missing = new[] { ("name", name), ("color", color) }.Where(p => string.IsNullOrEmpty(p.Item2)).Select(p => p.Item1).ToList();
        if (missing.Count > 0)
        {
            return ApiResult.Error(400, $"{string.Join(", ", missing)} is missing");
        }

        if (!ValidColor().IsMatch(color!))
        {
            return new ApiResult(400, new JsonObject { ["message"] = new JsonObject { ["color"] = new JsonArray("must be a valid color code") } });
        }

        if (project.Labels.Any(l => l.Name == name))
        {
            return ApiResult.Message(409, "Label already exists");
        }

        var label = state.AddLabel(project, name!, color!, r.Params.String("description") ?? "");
        return ApiResult.Created(Representations.Label(label));
    }

    /// <summary>GitLab accepts <c>#RGB</c>/<c>#RRGGBB</c> or a CSS colour name.</summary>
    [GeneratedRegex("^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]+)$")]
    private static partial Regex ValidColor();
}
