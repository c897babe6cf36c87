using GitLabMrBot.Processing;

namespace GitLabMrBot.UnitTests.Processing;

/// <summary>Issue 11, item 5: MRs into a pushed branch are re-checked in batches: the first at once, each next one a spacing later.</summary>
public sealed class PushFanOutBatchTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Item5_the_first_batch_is_due_at_once_and_each_next_batch_a_spacing_later()
    {
        Assert.Null(PushEventHandler.RecheckDue(Now, 0));
        Assert.Null(PushEventHandler.RecheckDue(Now, PushEventHandler.BatchSize - 1));
        Assert.Equal(Now + PushEventHandler.BatchSpacing, PushEventHandler.RecheckDue(Now, PushEventHandler.BatchSize));
        Assert.Equal(Now + 3 * PushEventHandler.BatchSpacing, PushEventHandler.RecheckDue(Now, 3 * PushEventHandler.BatchSize + 7));
    }
}
