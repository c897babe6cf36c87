namespace GitLabMrBot.Inbox;

/// <summary>
/// The processor used until a real one is registered: it only logs what it would hand on, so the host runs
/// and the inbox pipeline around it (claim, lease, complete) is the real one.
/// </summary>
public sealed partial class LoggingDeliveryProcessor(ILogger<LoggingDeliveryProcessor> logger) : IDeliveryProcessor
{
    public Task ProcessAsync(ClaimedBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // Only routing facts: the body may hold anything a user typed.
        Log.Received(logger, batch.Subject, batch.Deliveries.Count, batch.Deliveries[^1].Event);
        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "No delivery processor registered: {Count} deliveries of {Subject} (latest {Event}) logged only")]
        public static partial void Received(ILogger logger, string subject, int count, string @event);
    }
}
