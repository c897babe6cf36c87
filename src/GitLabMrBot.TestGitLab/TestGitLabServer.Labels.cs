namespace GitLabMrBot.TestGitLab;

/// <summary>Project labels as a maintainer changes them in GitLab's UI.</summary>
public sealed partial class TestGitLabServer
{
    /// <summary>
    /// Deletes a project label as GitLab does: the label's links go with it (<c>has_many :label_links, dependent: :destroy</c>),
    /// so every merge request that carried it no longer does, and no webhook is sent for that. A later <c>add_labels</c> of
    /// the name creates the label again, with GitLab's default colour. False when the project has no such label.
    /// </summary>
    public bool DeleteLabel(GitLabProject project, string name)
    {
        lock (state.Gate)
        {
            return state.DeleteLabel(Project(project), name);
        }
    }
}
