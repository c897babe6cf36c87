namespace GitLabMrBot.TestGitLab.Model;

/// <summary>Web URLs the way GitLab builds them from its external URL (here, the loopback address it listens on).</summary>
internal sealed class Urls
{
    private string root = "http://127.0.0.1";

    /// <summary>Scheme and host, no trailing slash: also the <c>X-Gitlab-Instance</c> header.</summary>
    public string Root => root;

    public void SetRoot(Uri baseUrl) => root = baseUrl.GetLeftPart(UriPartial.Authority);

    public string Project(ProjectEntity p) => $"{root}/{p.PathWithNamespace}";

    public string GitHttp(ProjectEntity p) => $"{root}/{p.PathWithNamespace}.git";

    public string GitSsh(ProjectEntity p) => $"git@{new Uri(root).Host}:{p.PathWithNamespace}.git";

    public string MergeRequest(MergeRequestEntity mr) => $"{Project(mr.Project)}/-/merge_requests/{mr.Iid}";

    public string Commit(ProjectEntity p, string sha) => $"{Project(p)}/-/commit/{sha}";

    public string User(UserEntity u) => $"{root}/{u.Username}";

    public string Group(GroupEntity g) => $"{root}/groups/{g.FullPath}";

    public string Avatar(UserEntity u) => $"{root}/uploads/-/system/user/avatar/{u.Id}/avatar.png";
}
