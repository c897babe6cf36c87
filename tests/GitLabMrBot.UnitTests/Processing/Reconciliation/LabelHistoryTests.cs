using GitLabMrBot.GitLab;
using GitLabMrBot.Processing.Reconciliation;

namespace GitLabMrBot.UnitTests.Processing.Reconciliation;

public sealed class LabelHistoryTests
{
    private const long Bot = 99;
    private const long Human = 7;
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static GitLabLabelEvent Event(long id, long user, string label, string action, int minute) => new()
    {
        Id = id,
        User = new GitLabUser { Id = user, Username = user == Bot ? "mrbot" : "alice" },
        Label = new GitLabLabelRef { Id = label.GetHashCode(StringComparison.Ordinal), Name = label },
        Action = action,
        CreatedAt = T0.AddMinutes(minute),
    };

    [Fact]
    public void Labels_the_bot_added_and_still_present_are_the_bots()
    {
        var provenance = LabelHistory.Provenance([Event(1, Bot, "frontend", "add", 1), Event(2, Human, "backend", "add", 2)], ["frontend", "backend"], Bot);

        Assert.Equal(["frontend"], provenance.AddedByBot);
        Assert.Empty(provenance.RemovedByHuman);
    }

    [Fact]
    public void A_label_a_human_removed_after_the_bot_added_it_is_remembered_as_removed_by_a_human()
    {
        var provenance = LabelHistory.Provenance([Event(1, Bot, "frontend", "add", 1), Event(2, Human, "frontend", "remove", 2)], [], Bot);

        Assert.Empty(provenance.AddedByBot);
        Assert.Equal(["frontend"], provenance.RemovedByHuman);
    }

    [Fact]
    public void The_latest_event_decides_even_when_events_arrive_out_of_order()
    {
        // Removed by a human, then re-added by the human: it is the human's label now, neither bot-added nor human-removed.
        var provenance = LabelHistory.Provenance(
            [Event(3, Human, "frontend", "add", 3), Event(1, Bot, "frontend", "add", 1), Event(2, Human, "frontend", "remove", 2)],
            ["frontend"],
            Bot);

        Assert.Empty(provenance.AddedByBot);
        Assert.Empty(provenance.RemovedByHuman);
    }

    [Fact]
    public void A_label_the_bot_itself_removed_may_be_added_again()
    {
        var provenance = LabelHistory.Provenance([Event(1, Bot, "size::S", "add", 1), Event(2, Bot, "size::S", "remove", 2)], [], Bot);

        Assert.Empty(provenance.RemovedByHuman);
    }

    [Fact]
    public void Events_of_deleted_labels_are_ignored()
    {
        var deleted = Event(1, Human, "gone", "remove", 1) with { Label = null };

        var provenance = LabelHistory.Provenance([deleted], [], Bot);

        Assert.Empty(provenance.RemovedByHuman);
    }
}

public sealed class DiffLinesTests
{
    [Theory]
    [InlineData(null, 0, 0)]
    [InlineData("", 0, 0)]
    [InlineData("@@ -1,2 +1,3 @@\n line\n-old\n+new\n+newer\n", 2, 1)]
    [InlineData("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b", 1, 1)]
    [InlineData("@@ -0,0 +1 @@\n+\n", 1, 0)]
    [InlineData("@@ -1,2 +1 @@\n--- a comment\n+++ a counter\n", 1, 1)]
    [InlineData("diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n--- x\n+++ y\n", 1, 1)]
    [InlineData("Binary files a/x and b/x differ\n", 0, 0)]
    public void Counts_added_and_deleted_lines_of_a_hunk(string? diff, int added, int deleted) =>
        Assert.Equal((added, deleted), DiffLines.Count(diff));
}
