namespace GitLabMrBot.TestGitLab.Model;

/// <summary>Web URLs the way GitLab builds them from its external URL (here, the loopback address it listens on).</summary>
internal sealed class Urls
{
    private string root = "http://127.0.0.1";
    private string web = "http://127.0.0.1";

    /// <summary>
    /// Scheme and host, no trailing slash: the <c>X-Gitlab-Instance</c> header, which is GitLab's <c>base_url</c>
    /// and so never has the relative URL root.
    /// </summary>
    public string Root => root;

    /// <summary>GitLab's <c>url</c>: <see cref="Root"/> plus the relative URL root (e.g. <c>/gitlab</c>), the base of every web URL.</summary>
    public string Web => web;

    public void SetRoot(Uri baseUrl)
    {
        root = baseUrl.GetLeftPart(UriPartial.Authority);
        web = baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    public string Project(ProjectEntity p) => $"{web}/{p.PathWithNamespace}";

    public string GitHttp(ProjectEntity p) => $"{web}/{p.PathWithNamespace}.git";

    public string GitSsh(ProjectEntity p) => $"git@{new Uri(root).Host}:{p.PathWithNamespace}.git";

    public string MergeRequest(MergeRequestEntity mr) => $"{Project(mr.Project)}/-/merge_requests/{mr.Iid}";

    public string Commit(ProjectEntity p, string sha) => $"{Project(p)}/-/commit/{sha}";

    public string User(UserEntity u) => $"{web}/{u.Username}";

    public string Group(GroupEntity g) => $"{web}/groups/{g.FullPath}";

    public string Avatar(UserEntity u) => $"{web}/uploads/-/system/user/avatar/{u.Id}/avatar.png";
}
