using GitLabMrBot.Policies;
using static GitLabMrBot.UnitTests.Policies.PolicyTestKit;

namespace GitLabMrBot.UnitTests.Policies;

/// <summary>Merge requests GitLab did not return whole (docs/gitlab-behaviour.md §3.2): sizes, path and range conditions, the summary.</summary>
public sealed class IncompleteDiffTests
{
    private const string Sizes = """
        "sizeLabels": { "prefix": "size::", "thresholds": { "XS": 10, "S": 100 }, "largest": "L", "ignore": ["vendor/**"] }
        """;

    private static ChangedFile TooLarge(string path) => new(path) { DiffNotReturned = "too large" };

    private static MergeRequestSnapshot Unlisted(params ChangedFile[] files) => Mr(files: files) with { ChangesCount = $"{files.Length}+" };

    [Fact]
    public void A_file_without_its_diff_makes_the_largest_size_and_the_reason_names_it()
    {
        var config = Compile($$"""{ {{Sizes}} }""");

        var plan = PolicyEngine.Evaluate(Mr(files: [File("src/a.cs", 2), TooLarge("data/big.csv")]), config);

        var size = Assert.Single(plan.LabelsToAdd);
        Assert.Equal("size::L", size.Label);
        Assert.Contains("GitLab did not return the whole diff", size.Reason.Detail);
        Assert.Contains("data/big.csv (too large)", size.Reason.Detail);
        Assert.Contains("2 lines changed in the rest", size.Reason.Detail);
        Assert.Equal("no diff for data/big.csv (too large)", plan.IncompleteDiff);
    }

    [Fact]
    public void A_file_without_its_diff_that_sizeLabels_ignores_leaves_the_size_to_the_rest()
    {
        var config = Compile($$"""{ {{Sizes}} }""");

        var plan = PolicyEngine.Evaluate(Mr(files: [File("src/a.cs", 2), TooLarge("vendor/lib.js")]), config);

        Assert.Equal(["size::XS"], Added(plan));
        Assert.NotNull(plan.IncompleteDiff); // the summary still says the diff was not whole
    }

    [Fact]
    public void Files_GitLab_did_not_list_make_the_largest_size_even_when_every_listed_file_is_ignored()
    {
        var config = Compile($$"""{ {{Sizes}} }""");

        var plan = PolicyEngine.Evaluate(Unlisted(File("vendor/a.js", 1)), config);

        Assert.Equal(["size::L"], Added(plan));
        Assert.Equal("only 1 of 1+ changed files listed", plan.IncompleteDiff);
    }

    [Fact]
    public void With_unlisted_files_onlyChangedFiles_cannot_hold_and_says_why_but_a_listed_mismatch_still_decides()
    {
        var config = OnePolicy("""{ "onlyChangedFiles": ["docs/**"] }""");

        var unlisted = PolicyEngine.Evaluate(Unlisted(File("docs/a.md"), File("docs/b.md")), config);
        var mismatch = PolicyEngine.Evaluate(Unlisted(File("docs/a.md"), File("src/b.cs")), config);

        Assert.Empty(unlisted.LabelsToAdd);
        var decision = Assert.Single(unlisted.Decisions);
        Assert.Equal(DecisionKind.DiffIncomplete, decision.Kind);
        Assert.Contains("GitLab did not list them all", decision.Text);
        Assert.Empty(mismatch.LabelsToAdd);
        Assert.Empty(mismatch.Decisions);
    }

    [Fact]
    public void With_unlisted_files_changedFiles_holds_on_a_listed_match_and_neither_it_nor_its_negation_holds_otherwise()
    {
        var matches = PolicyEngine.Evaluate(Unlisted(File("src/a.cs")), OnePolicy("""{ "changedFiles": ["src/**"] }"""));
        var unknown = PolicyEngine.Evaluate(Unlisted(File("docs/a.md")), OnePolicy("""{ "changedFiles": ["src/**"] }"""));
        var negated = PolicyEngine.Evaluate(Unlisted(File("docs/a.md")), OnePolicy("""{ "not": { "changedFiles": ["src/**"] } }"""));

        Assert.Equal(["hit"], Added(matches));
        Assert.Empty(unknown.LabelsToAdd);
        Assert.Empty(negated.LabelsToAdd);
        Assert.Equal(DecisionKind.DiffIncomplete, Assert.Single(negated.Decisions).Kind);
    }

    [Fact]
    public void A_condition_that_fails_for_sure_decides_all_even_beside_one_that_cannot_tell()
    {
        var plan = PolicyEngine.Evaluate(Unlisted(File("docs/a.md")), OnePolicy("""{ "onlyChangedFiles": ["docs/**"], "title": "^never" }"""));

        Assert.Empty(plan.LabelsToAdd);
        Assert.Empty(plan.Decisions);
    }

    [Theory]
    [InlineData("""{ "linesChanged": { "min": 5 } }""", 5, true, false)]
    [InlineData("""{ "linesChanged": { "min": 10 } }""", 5, false, true)]
    [InlineData("""{ "linesChanged": { "max": 10 } }""", 5, false, true)]
    [InlineData("""{ "linesChanged": { "max": 3 } }""", 5, false, false)]
    public void Lines_without_every_diff_are_a_lower_bound(string when, int knownLines, bool matched, bool undecided)
    {
        var plan = PolicyEngine.Evaluate(Mr(files: [File("src/a.cs", knownLines), TooLarge("data/big.csv")]), OnePolicy(when));

        Assert.Equal(matched, plan.LabelsToAdd.Any(l => l.Label == "hit"));
        Assert.Equal(undecided, plan.Decisions.Any(d => d.Kind == DecisionKind.DiffIncomplete));
    }

    [Fact]
    public void The_summary_says_GitLab_did_not_return_the_whole_diff_and_reads_the_same_when_settled()
    {
        var config = Compile($$"""{ {{Sizes}}, "summaryComment": true }""");
        var mr = Mr(files: [File("src/a.cs", 2), TooLarge("data/big_table.csv")]);

        var plan = PolicyEngine.Evaluate(mr, config);
        var settled = PolicyEngine.Evaluate(mr with { Labels = ["size::L"], Provenance = LabelProvenance.Of(["size::L"]) }, config);
        var text = SummaryComment.Render(plan);

        Assert.Contains(@"GitLab did not return the whole diff of this merge request (no diff for data/big\_table.csv (too large))", text);
        Assert.Equal(text, SummaryComment.Render(settled));
    }
}
