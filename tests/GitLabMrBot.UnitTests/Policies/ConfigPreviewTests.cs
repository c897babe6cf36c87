using GitLabMrBot.Policies;
using static GitLabMrBot.UnitTests.Policies.PolicyTestKit;

namespace GitLabMrBot.UnitTests.Policies;

/// <summary>Issue 14 item 5: the preview's pure part (which MRs, what changes, the note's text).</summary>
public sealed class ConfigPreviewTests
{
    private static readonly PreviewHeader Header = new(".gitlab/mrbot.json", "mrbot-rules", "0123456789abcdef");

    [Fact]
    public void Item5_the_other_MRs_are_the_20_newest_by_iid_whatever_order_GitLab_lists_them_in_and_the_rest_are_counted()
    {
        var open = Enumerable.Range(1, 25).Select(i => (long)i).Reverse().Concat([3L]).OrderBy(i => i % 7).ToList();

        var (previewed, notPreviewed) = ConfigPreview.PickOthers(open, self: 24);

        Assert.Equal([25L, .. Enumerable.Range(5, 19).Select(i => (long)i).Reverse()], previewed);
        Assert.Equal(ConfigPreview.MaxOtherMergeRequests, previewed.Count);
        Assert.Equal(4, notPreviewed);
    }

    [Fact]
    public void Item5_changes_are_the_candidate_plans_writes_the_current_plan_does_not_make()
    {
        var current = Compile("""{ "policies": [ { "name": "css", "when": { "changedFiles": ["**/*.css"] }, "then": { "addLabels": ["frontend"] } } ] }""");
        var candidate = Compile("""
            { "policies": [
                { "name": "api", "when": { "changedFiles": ["src/api/**"] }, "then": { "addLabels": ["backend"], "reviewers": { "users": ["bob"], "count": 1 } } }
            ] }
            """);
        var mr = Mr(files: [new ChangedFile("src/api/orders.cs", 3), new ChangedFile("web/app.css", 1)]);

        var changes = ConfigPreview.Compare(mr, PolicyEngine.Evaluate(mr, current), PolicyEngine.Evaluate(mr, candidate));

        Assert.Equal(["backend"], changes.Adds);
        Assert.Equal(["frontend"], changes.NoLongerAdds);
        var reviewers = Assert.Single(changes.Reviewers);
        Assert.Equal(("api", 1), (reviewers.Policy, reviewers.Count));
        Assert.True(ConfigPreview.Compare(mr, PolicyEngine.Evaluate(mr, current), PolicyEngine.Evaluate(mr, current)).IsEmpty);
    }

    [Fact]
    public void Item5_the_note_lists_each_changing_MR_with_its_reference_and_inert_title_and_says_when_more_were_not_previewed()
    {
        var others = new[]
        {
            new PreviewChanges(9, "@all see /close and #1") { Adds = ["backend"] },
            new PreviewChanges(8, "Unchanged"),
            new PreviewChanges(7, "Add users API") { Removes = ["size::XS"] },
        };

        var body = ConfigPreview.RenderValid(Header, new PreviewChanges(10, "Rules"), others, notPreviewed: 3);

        Assert.StartsWith(ConfigPreview.Marker, body, StringComparison.Ordinal);
        Assert.Contains("- !9 `@all see /close and #1`: adds label `backend`\n", body, StringComparison.Ordinal);
        Assert.Contains("- !7 `Add users API`: removes label `size::XS`\n", body, StringComparison.Ordinal);
        Assert.DoesNotContain("!8", body, StringComparison.Ordinal);
        Assert.Contains("2 of the 3 previewed", body, StringComparison.Ordinal);
        Assert.Contains("More than 20", body, StringComparison.Ordinal);
        Assert.Contains("3 more were not", body, StringComparison.Ordinal);
        Assert.Contains("**This merge request**: no change.", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\n/", body, StringComparison.Ordinal);
    }

    [Fact]
    public void Item5_an_invalid_file_lists_its_errors_with_their_lines_and_the_messages_inert()
    {
        var body = ConfigPreview.RenderInvalid(Header, [new PreviewError("$.policies[0].then.addLabel", 3, "unknown property 'addLabel' @all")]);

        Assert.Contains("**invalid** (1 error)", body, StringComparison.Ordinal);
        Assert.Contains("- line 3, `$.policies[0].then.addLabel`: unknown property 'addLabel' \\@all\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public void One_read_for_both_rule_sets_gets_what_either_needs()
    {
        // The rules in force need the merge method (needs-rebase); the new ones read commit messages: both must be read.
        var current = GitLabMrBot.Configuration.PolicyConfigLoader.Load("""
            { "needsRebase": { "label": "needs-rebase" },
              "policies": [ { "name": "docs", "when": { "changedFiles": ["docs/**"] }, "then": { "addLabels": ["docs"] } } ] }
            """, "current").Config!;
        var candidate = GitLabMrBot.Configuration.PolicyConfigLoader.Load("""
            { "policies": [ { "name": "fix", "when": { "commitMessages": "^fix" }, "then": { "addLabels": ["bug"] } } ] }
            """, "candidate").Config!;

        var both = GitLabMrBot.Processing.Reconciliation.ConfigPreviewer.Both(current, candidate);

        Assert.True(both.UsesCommitMessages);
        Assert.Equal("needs-rebase", both.NeedsRebaseLabel);
        Assert.Equal(["docs", "fix"], both.Policies.Select(p => p.Name));
    }
}
