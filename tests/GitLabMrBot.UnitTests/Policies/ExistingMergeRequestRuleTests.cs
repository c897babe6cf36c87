using GitLabMrBot.Configuration;
using GitLabMrBot.Events;
using GitLabMrBot.Policies;

namespace GitLabMrBot.UnitTests.Policies;

/// <summary>Issue 15 item 2: the rule for MRs opened before the installation (<c>sweep.existingMergeRequests</c>).</summary>
public sealed class ExistingMergeRequestRuleTests
{
    private static readonly DateTimeOffset Installed = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    // setting, opened before, sweep only, event seen -> treatment
    [InlineData(ExistingMergeRequests.Labels, true, true, false, Treatment.LabelsOnly)]
    [InlineData(ExistingMergeRequests.Skip, true, true, false, Treatment.Skipped)]
    [InlineData(ExistingMergeRequests.Full, true, true, false, Treatment.Full)]
    [InlineData(ExistingMergeRequests.Labels, false, true, false, Treatment.Full)]
    [InlineData(ExistingMergeRequests.Labels, true, false, false, Treatment.Full)]
    [InlineData(ExistingMergeRequests.Skip, true, true, true, Treatment.Full)]
    public void Item2_only_a_sweep_of_an_mr_older_than_the_installation_with_no_event_is_limited(
        ExistingMergeRequests setting, bool openedBefore, bool sweepOnly, bool eventSeen, Treatment expected) =>
        Assert.Equal(expected, ExistingMergeRequestRule.Decide(setting, openedBefore, sweepOnly, eventSeen));

    [Fact]
    public void Item2_opened_before_compares_creation_with_the_installation_and_an_unknown_creation_counts_as_new()
    {
        Assert.True(ExistingMergeRequestRule.OpenedBefore(Installed.AddSeconds(-1), Installed));
        Assert.False(ExistingMergeRequestRule.OpenedBefore(Installed, Installed));
        Assert.False(ExistingMergeRequestRule.OpenedBefore(null, Installed));
    }

    [Fact]
    public void Item2_labels_only_keeps_the_label_changes_and_drops_comments_summary_and_people()
    {
        var reason = new Reason("frontend", "web/app.css");
        var plan = new Plan
        {
            MergeRequest = new MergeRequestRef(1, 2),
            LabelsToAdd = [new LabelChange("frontend", reason)],
            LabelsToRemove = [new LabelChange("size::L", reason)],
            Comments = [new PolicyComment("frontend", "<!-- m -->", "Check it")],
            People = new GitLabMrBot.Policies.Reviewers.PeoplePlan { ReviewerIds = [7] },
        };

        var limited = ExistingMergeRequestRule.LabelsOnly(plan);

        Assert.Equal(plan.LabelsToAdd, limited.LabelsToAdd);
        Assert.Equal(plan.LabelsToRemove, limited.LabelsToRemove);
        Assert.Empty(limited.Comments);
        Assert.False(limited.SummaryComment);
        Assert.Null(limited.People);
    }

    [Theory]
    [InlineData(null, ExistingMergeRequests.Labels)]
    [InlineData("labels", ExistingMergeRequests.Labels)]
    [InlineData("full", ExistingMergeRequests.Full)]
    [InlineData("skip", ExistingMergeRequests.Skip)]
    public void Item2_the_setting_is_read_from_sweep_existingMergeRequests_with_labels_by_default(string? value, ExistingMergeRequests expected)
    {
        var sweep = value is null ? """{ "groups": ["acme"] }""" : $$"""{ "groups": ["acme"], "existingMergeRequests": "{{value}}" }""";
        var result = PolicyConfigLoader.Load($$"""{ "sweep": {{sweep}} }""", "test.json");

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(expected, result.Config.ExistingMergeRequests);
    }

    [Fact]
    public void Item2_an_unknown_value_is_an_error_naming_the_values()
    {
        var result = PolicyConfigLoader.Load("""{ "sweep": { "existingMergeRequests": "sometimes" } }""", "test.json");

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.sweep.existingMergeRequests", error.Path);
        Assert.Equal("existingMergeRequests \"sometimes\" is not one of labels, full, skip", error.Message);
    }
}
