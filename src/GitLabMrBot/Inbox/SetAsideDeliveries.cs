namespace GitLabMrBot.Inbox;

/// <summary>
/// The deliveries of the batch being processed that the processor could never handle (an unreadable payload): the
/// worker dead-letters each alone, with its reason, and completes or fails the rest of the batch as usual, so one bad
/// delivery never sinks its neighbours. One per batch scope.
/// </summary>
public sealed class SetAsideDeliveries
{
    private readonly List<(StoredDelivery Delivery, string Reason)> _items = [];

    public IReadOnlyList<(StoredDelivery Delivery, string Reason)> Items => _items;

    public void Add(StoredDelivery delivery, string reason) => _items.Add((delivery, reason));
}
