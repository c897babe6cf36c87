namespace GitLabMrBot.Webhooks;

/// <summary>
/// The bytes of webhook bodies being read and held at once, over every request, kept under
/// <see cref="IntakeOptions.MaxBodyBytesInFlight"/>: a crowd of large bodies is refused (503) before it is read,
/// instead of filling the heap until an allocation fails.
/// </summary>
public sealed class WebhookBodyBudget(long limit)
{
    private long _inFlight;

    public long Limit { get; } = limit;

    /// <summary>The bytes reserved right now.</summary>
    public long InFlight => Volatile.Read(ref _inFlight);

    /// <summary>A reservation for one request, empty at first; dispose it once the body is no longer held.</summary>
    public BodyReservation Open() => new(this);

    internal bool TryReserve(long bytes)
    {
        var current = Volatile.Read(ref _inFlight);
        while (true)
        {
            if (current + bytes > Limit)
            {
                return false;
            }
            var seen = Interlocked.CompareExchange(ref _inFlight, current + bytes, current);
            if (seen == current)
            {
                return true;
            }
            current = seen;
        }
    }

    internal void Release(long bytes) => Interlocked.Add(ref _inFlight, -bytes);
}

/// <summary>What one request holds of the <see cref="WebhookBodyBudget"/>; grows as its body is read.</summary>
public sealed class BodyReservation(WebhookBodyBudget budget) : IDisposable
{
    private long _reserved;

    /// <summary>Makes the reservation at least <paramref name="bytes"/>; false (nothing more reserved) when the budget has no room.</summary>
    public bool TryGrowTo(long bytes)
    {
        if (bytes <= _reserved)
        {
            return true;
        }
        if (!budget.TryReserve(bytes - _reserved))
        {
            return false;
        }
        _reserved = bytes;
        return true;
    }

    public void Dispose()
    {
        budget.Release(_reserved);
        _reserved = 0;
    }
}
