using System.Text;
using GitLabMrBot.Inbox;

namespace GitLabMrBot.FunctionalTests.Storage;

/// <summary>Issue 13: what every provider keeps for traces and answers for the metrics gauges.</summary>
public abstract partial class InboxStoreContract
{
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    [Fact]
    public async Task Item2_a_delivery_keeps_the_traceparent_of_its_webhook_request()
    {
        var store = Open();
        var traced = new NewDelivery("traced", "Merge Request Hook", "mr:1:1", null, Time.GetUtcNow(), Encoding.UTF8.GetBytes("{}")) { TraceParent = TraceParent };
        var untraced = new NewDelivery("untraced", "Merge Request Hook", "mr:1:1", null, Time.GetUtcNow(), Encoding.UTF8.GetBytes("{}"));
        await store.AppendAsync(traced, CancellationToken.None);
        await store.AppendAsync(untraced, CancellationToken.None);

        var batch = await store.ClaimNextAsync("worker", TimeSpan.FromMinutes(1), CancellationToken.None);

        Assert.NotNull(batch);
        Assert.Equal([TraceParent, null], batch.Deliveries.Select(d => d.TraceParent));
        Assert.Equal([TraceParent, null], (await store.ListAsync(null, CancellationToken.None)).Select(d => d.TraceParent));
    }

    [Fact]
    public async Task Item1_the_backlog_counts_unfinished_deliveries_and_how_long_the_oldest_due_one_waited()
    {
        var store = Open();
        Assert.Equal(new InboxBacklog(0, TimeSpan.Zero), await store.MeasureBacklogAsync(Time.GetUtcNow(), CancellationToken.None));

        await store.AppendAsync(Plain("a", "mr:1:1"), CancellationToken.None);
        Time.Advance(TimeSpan.FromSeconds(10));
        await store.AppendAsync(Plain("b", "mr:1:2"), CancellationToken.None);
        // Scheduled for later (a re-check): in the backlog, but not waiting yet.
        await store.AppendAsync(Plain("c", "mr:1:3") with { NotBefore = Time.GetUtcNow() + TimeSpan.FromMinutes(5) }, CancellationToken.None);
        Time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(new InboxBacklog(3, TimeSpan.FromSeconds(15)), await store.MeasureBacklogAsync(Time.GetUtcNow(), CancellationToken.None));

        // In flight still counts; the oldest waiting is now the second.
        var batch = await store.ClaimNextAsync("worker", TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal("mr:1:1", batch!.Subject);
        Assert.Equal(new InboxBacklog(3, TimeSpan.FromSeconds(5)), await store.MeasureBacklogAsync(Time.GetUtcNow(), CancellationToken.None));

        await store.CompleteAsync(batch, CancellationToken.None);
        Assert.Equal(2, (await store.MeasureBacklogAsync(Time.GetUtcNow(), CancellationToken.None)).Depth);
    }

    private NewDelivery Plain(string key, string subject) =>
        new(key, "Merge Request Hook", subject, null, Time.GetUtcNow(), Encoding.UTF8.GetBytes("{}"));
}
