using GitLabMrBot.Policies;
using static GitLabMrBot.UnitTests.Policies.PolicyTestKit;

namespace GitLabMrBot.UnitTests.Policies;

public sealed class SizeLabelTests
{
    private static readonly CompiledConfig Config = Compile("""
        { "sizeLabels": { "prefix": "size::", "thresholds": { "XS": 10, "S": 100, "M": 500, "L": 1000 },
                          "largest": "XL", "ignore": ["**/*.lock", "**/package-lock.json"] } }
        """);

    [Theory]
    [InlineData(0, "size::XS")]
    [InlineData(10, "size::XS")] // at the threshold: still that size
    [InlineData(11, "size::S")]
    [InlineData(100, "size::S")]
    [InlineData(101, "size::M")]
    [InlineData(1000, "size::L")]
    [InlineData(1001, "size::XL")] // above the last threshold: largest
    public void Size_comes_from_added_plus_deleted_lines(int lines, string expected)
    {
        var mr = Mr(files: [File("a.cs", added: lines / 2, deleted: lines - (lines / 2))]);

        var plan = PolicyEngine.Evaluate(mr, Config);

        Assert.Equal([expected], Added(plan));
        Assert.Equal(lines, plan.Size!.Lines);
    }

    [Fact]
    public void Ignored_files_do_not_count()
    {
        var mr = Mr(files: [File("src/a.cs", added: 5), File("yarn.lock", added: 5000), File("web/package-lock.json", added: 900)]);

        var plan = PolicyEngine.Evaluate(mr, Config);

        Assert.Equal("size::XS", plan.Size!.Label);
        Assert.Equal(2, plan.Size.IgnoredFiles);
        Assert.Contains("2 ignored files", plan.LabelsToAdd.Single().Reason.Detail);
    }

    [Fact]
    public void A_new_size_replaces_the_size_label_the_bot_added()
    {
        var mr = Mr(files: [File("a.cs", added: 300)], labels: ["size::S"], botAdded: ["size::S"]);

        var plan = PolicyEngine.Evaluate(mr, Config);

        Assert.Equal(["size::M"], Added(plan));
        var removed = Assert.Single(plan.LabelsToRemove);
        Assert.Equal("size::S", removed.Label);
        Assert.Contains("size::M", removed.Reason.Detail);
    }

    [Fact]
    public void A_size_label_set_by_a_human_is_left_alone()
    {
        var mr = Mr(files: [File("a.cs", added: 300)], labels: ["size::S"]);

        var plan = PolicyEngine.Evaluate(mr, Config);

        Assert.False(plan.HasChanges);
        Assert.Contains(plan.Decisions, d => d.Kind == DecisionKind.HumanScopedLabelKept && d.Text.Contains("size::S", StringComparison.Ordinal));
    }

    [Fact]
    public void Unchanged_size_writes_nothing()
    {
        var mr = Mr(files: [File("a.cs", added: 3)], labels: ["size::XS"], botAdded: ["size::XS"]);

        var plan = PolicyEngine.Evaluate(mr, Config);

        Assert.False(plan.HasChanges);
        Assert.Equal("size::XS", Assert.Single(plan.Applied).Label);
    }
}
