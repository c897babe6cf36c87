using System.Text.Json.Nodes;

namespace GitLabMrBot.TestGitLab.Api;

internal sealed partial class GitLabApi
{
    /// <summary>
    /// <c>GET /projects/:id/repository/branches/:branch</c> (lib/api/branches.rb): the branch with its head commit
    /// (<c>commit.id</c>), 404 "Branch Not Found" when there is none. The name may hold slashes, sent as <c>%2F</c>.
    /// </summary>
    private ApiResult Branch(ApiRequest r)
    {
        var project = Project(r);
        var name = r["branch"];
        if (!project.Branches.TryGetValue(name, out var sha))
        {
            throw ApiResult.NotFound("Branch");
        }
        var commit = project.Commits[sha];
        return ApiResult.Ok(new JsonObject
        {
            ["name"] = name,
            ["merged"] = false,
            ["protected"] = false,
            ["default"] = name == project.DefaultBranch,
            ["commit"] = new JsonObject
            {
                ["id"] = commit.Sha,
                ["short_id"] = commit.Sha[..8],
                ["title"] = commit.Title,
                ["message"] = commit.Message,
                ["parent_ids"] = commit.ParentSha is null ? new JsonArray() : new JsonArray(commit.ParentSha),
            },
        });
    }
}
