using GitLabMrBot.Policies.Reviewers;

namespace GitLabMrBot.UnitTests.Policies.Reviewers;

public sealed class AvailabilityAndHistoryTests
{
    [Theory]
    [InlineData("busy", "", "", "status is busy")]
    [InlineData("not_set", "PTO this week", "", "status says PTO")]
    [InlineData("not_set", "at a conference", "", "status says conference")]
    [InlineData("not_set", "Parental leave", "", "status says Parental leave")]
    [InlineData("not_set", "", "thermometer", "status emoji :thermometer:")]
    [InlineData("not_set", "", ":beach_umbrella:", "status emoji :beach_umbrella:")]
    public void Busy_and_away_statuses_follow_GitLabs_reviewer_roulette(string availability, string message, string emoji, string why) =>
        Assert.Equal(why, Availability.AwayBecause(new UserStatus(availability, message, emoji)));

    [Theory]
    [InlineData("not_set", "", "")]
    [InlineData("not_set", "Reviewing MRs today :palm_tree:", "coffee")]
    [InlineData("not_set", "Mooo", "")]
    [InlineData(null, null, null)]
    public void Other_statuses_are_available(string? availability, string? message, string? emoji) =>
        Assert.Null(Availability.AwayBecause(new UserStatus(availability, message, emoji)));

    [Fact]
    public void History_reads_who_the_bot_requested_and_assigned_from_its_system_notes()
    {
        var history = PeopleHistory.FromBotSystemNotes(
        [
            "requested review from @bob",
            "requested review from @carol, @dave, and @erin and removed review request for @frank",
            "assigned to @alice and unassigned @zoe",
            "changed title from **a** to **b**",
        ]);

        Assert.Equal(["bob", "carol", "dave", "erin"], history.RequestedByBot.Order());
        Assert.Equal(["alice"], history.AssignedByBot);
    }
}
