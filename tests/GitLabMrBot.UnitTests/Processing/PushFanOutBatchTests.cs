using GitLabMrBot.Processing;
using GitLabMrBot.Processing.Reconciliation;

namespace GitLabMrBot.UnitTests.Processing;

/// <summary>Issue 11, item 5: MRs into a pushed branch are re-checked in batches, the first when a first re-check is due.</summary>
public sealed class PushFanOutBatchTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private static readonly RecheckOptions Options = new() { FirstDelay = TimeSpan.FromSeconds(5) };

    [Fact]
    public void Item5_the_first_batch_is_due_after_the_first_recheck_delay_and_each_next_batch_a_spacing_later()
    {
        Assert.Equal(Now + TimeSpan.FromSeconds(5), PushEventHandler.RecheckDue(Now, 0, Options));
        Assert.Equal(Now + TimeSpan.FromSeconds(5), PushEventHandler.RecheckDue(Now, PushEventHandler.BatchSize - 1, Options));
        Assert.Equal(Now + TimeSpan.FromSeconds(5) + PushEventHandler.BatchSpacing, PushEventHandler.RecheckDue(Now, PushEventHandler.BatchSize, Options));
        Assert.Equal(Now + TimeSpan.FromSeconds(5) + 3 * PushEventHandler.BatchSpacing, PushEventHandler.RecheckDue(Now, 3 * PushEventHandler.BatchSize + 7, Options));
    }
}
