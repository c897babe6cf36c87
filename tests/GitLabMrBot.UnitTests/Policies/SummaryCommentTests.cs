using GitLabMrBot.Policies;
using static GitLabMrBot.UnitTests.Policies.PolicyTestKit;

namespace GitLabMrBot.UnitTests.Policies;

public sealed class SummaryCommentTests
{
    private static readonly CompiledConfig Config = Compile("""
        { "policies": [
            { "name": "frontend", "when": { "changedFiles": ["web/**", "**/*.css"] }, "then": { "addLabels": ["frontend"] } },
            { "name": "feature", "when": { "title": "^feat" }, "then": { "addLabels": ["type::feature"] } }
          ],
          "sizeLabels": { "thresholds": { "S": 100 }, "largest": "L" } }
        """);

    [Fact]
    public void Summary_lists_each_label_with_its_policy_and_what_matched()
    {
        var plan = PolicyEngine.Evaluate(Mr(title: "feat: #12 for @bob", files: [File("web/app.css", added: 20)]), Config);

        var text = SummaryComment.Render(plan);

        Assert.StartsWith("<!-- gitlab-mr-bot:summary -->\n", text);
        Assert.Contains("| `frontend` | policy `frontend` | changed file web/app.css matches web/\\*\\* |", text);
        Assert.Contains("| `type::feature` | policy `feature` | title \"feat: \\#12 for \\@bob\" matches /^feat/ |", text);
        Assert.Contains("| `size::S` | size labels | 20 lines changed (at most 100) |", text);
        Assert.Contains("remove it: the bot will not put it back", text);
    }

    [Fact]
    public void Summary_text_is_stable_for_the_same_plan()
    {
        var mr = Mr(title: "feat: x", files: [File("web/app.css")]);

        Assert.Equal(SummaryComment.Render(PolicyEngine.Evaluate(mr, Config)), SummaryComment.Render(PolicyEngine.Evaluate(mr, Config)));
    }

    [Fact]
    public void Summary_explains_labels_left_alone()
    {
        var plan = PolicyEngine.Evaluate(Mr(title: "feat: x", humanRemoved: ["type::feature"]), Config);

        var text = SummaryComment.Render(plan);

        Assert.Contains("type::feature not re-added: removed by a human (policy `feature`)", text);
        Assert.True(SummaryComment.HasContent(plan));
    }

    [Fact]
    public void Lines_starting_with_a_slash_never_become_quick_actions()
    {
        var escaped = SummaryComment.EscapeQuickActions("ok\n/close\n  /label ~x\nmid /path");

        Assert.Equal("ok\n\\/close\n  \\/label ~x\nmid /path", escaped);
    }

    [Fact]
    public void Nothing_to_say_means_no_summary_is_created()
    {
        var config = Compile("""{ "policies": [ { "name": "p", "when": { "draft": true }, "then": { "addLabels": ["x"] } } ] }""");

        Assert.False(SummaryComment.HasContent(PolicyEngine.Evaluate(Mr(), config)));
    }
}
