using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using GitLabMrBot.TestGitLab.Model;
using Microsoft.AspNetCore.Http;

namespace GitLabMrBot.TestGitLab.Web;

/// <summary>
/// A read-only look at merge requests at GitLab's own web paths (<c>/&lt;namespace&gt;/&lt;project&gt;/-/merge_requests</c> and
/// <c>…/-/merge_requests/&lt;iid&gt;</c>, the <c>web_url</c> the API returns; routes in GitLab's <c>config/routes/project.rb</c>),
/// so a person can see what a bot did: titles, branches, labels, assignees, reviewers and notes. Plain HTML, every value
/// encoded, no script or external asset. Unlike GitLab it asks for no sign-in: it only ever listens on loopback.
/// </summary>
internal sealed class MergeRequestPages(GitLabState state, Func<string> pathBase)
{
    private const string Marker = "/-/merge_requests";
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    /// <summary>Serves the page when the request is a GET of one; false leaves the request to the API.</summary>
    public async Task<bool> TryServeAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) || context.Request.Path.Value is not { } path)
        {
            return false;
        }
        var root = pathBase();
        if (root.Length > 0)
        {
            if (!path.StartsWith(root + "/", StringComparison.Ordinal))
            {
                return false;
            }
            path = path[root.Length..];
        }
        var at = path.IndexOf(Marker, StringComparison.Ordinal);
        if (at <= 1 || path.StartsWith("/api/", StringComparison.Ordinal))
        {
            return false;
        }
        var projectPath = path[1..at];
        var rest = path[(at + Marker.Length)..].TrimEnd('/');
        string? page;
        lock (state.Gate)
        {
            var project = state.Projects.Find(p => string.Equals(p.PathWithNamespace, projectPath, StringComparison.OrdinalIgnoreCase));
            page = project is null ? null
                : rest.Length == 0 ? ListPage(project)
                : rest[0] == '/' && int.TryParse(rest[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var iid)
                    && project.MergeRequests.Find(m => m.Iid == iid) is { } mr ? MergeRequestPage(mr)
                : null;
        }
        context.Response.StatusCode = page is null ? StatusCodes.Status404NotFound : StatusCodes.Status200OK;
        context.Response.ContentType = "text/html; charset=utf-8";
        // Nothing on these pages may run or load anything: they show text that came from users and bots.
        context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";
        await context.Response.WriteAsync(page ?? Document("Not found", "<p>404: no such project or merge request.</p>"), context.RequestAborted);
        return true;
    }

    private string ListPage(ProjectEntity project)
    {
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"<h1>{E(project.PathWithNamespace)}: merge requests</h1>\n<table>\n<tr><th>!</th><th>Title</th><th>Branches</th><th>State</th><th>Labels</th><th>Reviewers</th></tr>\n");
        foreach (var mr in project.MergeRequests.OrderByDescending(m => m.Iid))
        {
            body.Append(CultureInfo.InvariantCulture, $"<tr><td>!{mr.Iid}</td><td><a href=\"{E(Link(mr))}\">{E(mr.Title)}</a></td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{E(mr.SourceBranch)} → {E(mr.TargetBranch)}</td><td>{E(mr.State)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{Labels(mr)}</td><td>{People(mr.Reviewers)}</td></tr>\n");
        }
        body.Append("</table>\n");
        return Document($"{project.PathWithNamespace} merge requests", body.ToString());
    }

    private string MergeRequestPage(MergeRequestEntity mr)
    {
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"<p><a href=\"{E(List(mr.Project))}\">{E(mr.Project.PathWithNamespace)} merge requests</a></p>\n")
            .Append(CultureInfo.InvariantCulture, $"<h1>{E(mr.Title)} <small>!{mr.Iid}</small></h1>\n<dl>\n")
            .Append(CultureInfo.InvariantCulture, $"<dt>Branches</dt><dd>{E(mr.SourceBranch)} → {E(mr.TargetBranch)}</dd>\n")
            .Append(CultureInfo.InvariantCulture, $"<dt>State</dt><dd>{E(mr.State)}</dd>\n<dt>Author</dt><dd>@{E(mr.Author.Username)}</dd>\n")
            .Append(CultureInfo.InvariantCulture, $"<dt>Labels</dt><dd>{Labels(mr)}</dd>\n")
            .Append(CultureInfo.InvariantCulture, $"<dt>Assignees</dt><dd>{People(mr.Assignees)}</dd>\n<dt>Reviewers</dt><dd>{People(mr.Reviewers)}</dd>\n</dl>\n")
            .Append(CultureInfo.InvariantCulture, $"<h2>Description</h2>\n<pre>{E(mr.Description)}</pre>\n<h2>Activity</h2>\n");
        foreach (var note in mr.Notes.Where(n => !n.Internal))
        {
            var kind = note.System ? "system" : "note";
            body.Append(CultureInfo.InvariantCulture, $"<div class=\"{kind}\"><b>@{E(note.Author.Username)}</b> <small>{note.CreatedAt:yyyy-MM-dd HH:mm:ss}</small>")
                .Append(note.System ? $" {E(note.Body)}</div>\n" : $"<pre>{E(note.Body)}</pre></div>\n");
        }
        return Document($"{mr.Title} (!{mr.Iid})", body.ToString());
    }

    private string List(ProjectEntity project) => $"{pathBase()}/{project.PathWithNamespace}{Marker}";

    private string Link(MergeRequestEntity mr) => $"{List(mr.Project)}/{mr.Iid}";

    private static string Labels(MergeRequestEntity mr) =>
        string.Join(" ", mr.Labels.Select(l => $"<span class=\"label\" style=\"border-color:{E(l.Color)}\">{E(l.Name)}</span>"));

    private static string People(IEnumerable<UserEntity> users) => E(string.Join(", ", users.Select(u => "@" + u.Username)));

    private static string E(string text) => Html.Encode(text);

    private static string Document(string title, string body) => $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{{E(title)}}</title>
        <style>
        body { font-family: sans-serif; margin: 2em; max-width: 70em; }
        table { border-collapse: collapse; } td, th { border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: left; }
        .label { border: 2px solid; border-radius: 1em; padding: 0 .5em; margin-right: .3em; white-space: nowrap; }
        .system { color: #555; margin: .3em 0; } .note { border: 1px solid #ddd; padding: .5em; margin: .5em 0; }
        pre { white-space: pre-wrap; }
        </style></head>
        <body>
        {{body}}</body></html>
        """;
}
