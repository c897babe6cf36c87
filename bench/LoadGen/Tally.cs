namespace LoadGen;

/// <summary>Counts of outcomes by status; one per worker, merged at the end (no shared counters on the hot path).</summary>
internal sealed class Tally
{
    private readonly long[] _statuses = new long[600];

    public long Sent { get; private set; }
    public long Errors { get; private set; }
    public long Accepted { get; private set; }
    public string? FirstError { get; private set; }

    public long Responses => Sent - Errors;

    public long Responses2xx
    {
        get
        {
            var sum = 0L;
            for (var status = 200; status < 300; status++)
            {
                sum += _statuses[status];
            }
            return sum;
        }
    }

    public void Add(Outcome outcome)
    {
        Sent++;
        if (outcome.Error is not null || outcome.Status is <= 0 or >= 600)
        {
            Errors++;
            FirstError ??= outcome.Error ?? $"status {outcome.Status}";
            return;
        }
        _statuses[outcome.Status]++;
        if (outcome.Accepted)
        {
            Accepted++;
        }
    }

    public void Merge(Tally other)
    {
        Sent += other.Sent;
        Errors += other.Errors;
        Accepted += other.Accepted;
        FirstError ??= other.FirstError;
        for (var i = 0; i < _statuses.Length; i++)
        {
            _statuses[i] += other._statuses[i];
        }
    }

    /// <summary>Non-zero counts by status, e.g. {"202": 91234}.</summary>
    public SortedDictionary<string, long> Statuses()
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < _statuses.Length; i++)
        {
            if (_statuses[i] > 0)
            {
                counts[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = _statuses[i];
            }
        }
        return counts;
    }
}
