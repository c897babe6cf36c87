using System.Text.Json.Nodes;

namespace GitLabMrBot.TestGitLab.Tests;

/// <summary>
/// A project label deleted in GitLab (docs/gitlab-behaviour.md §3.7): its links go with it, so merge requests lose it, and
/// <c>add_labels</c> of the name creates it again with GitLab's default colour (<c>find_or_create_by_titles</c>).
/// </summary>
public sealed class LabelDeletionTests : GitLabTestBase
{
    [Fact]
    public async Task A_deleted_label_leaves_its_merge_requests_and_the_list_and_add_labels_creates_it_again_with_the_default_colour()
    {
        Server.AddLabel(Project, "frontend", "#1f75cb");
        var mr = OpenMr(labels: ["frontend"]);

        Assert.True(Server.DeleteLabel(Project, "frontend"));

        Assert.Empty(Server.GetMergeRequest(mr).Labels);
        Assert.DoesNotContain(Server.GetLabels(Project), l => l.Name == "frontend");
        var listed = (await Json(await Api.GetAsync($"projects/{Project.Id}/labels"))).AsArray();
        Assert.DoesNotContain(listed, l => (string)l!["name"]! == "frontend");

        var answer = await Json(await PutJson($"projects/{Project.Id}/merge_requests/{mr.Iid}", new { add_labels = "frontend" }));

        Assert.Equal(["frontend"], answer["labels"]!.AsArray().Select(l => (string)l!).ToList());
        Assert.Equal("#6699cc", Server.GetLabels(Project).Single(l => l.Name == "frontend").Color, ignoreCase: true);
        Assert.False(Server.DeleteLabel(Project, "nonexistent"));
    }
}
