namespace GitLabMrBot.Inbox;

/// <summary>
/// Wakes idle worker loops when new work may be claimable (a committed append, a released subject).
/// A waiter takes <see cref="NextPulse"/> <em>before</em> it looks for work, so a pulse that lands between
/// looking and sleeping is never missed.
/// </summary>
public sealed class InboxSignal
{
    private TaskCompletionSource _next = NewSource();

    /// <summary>Completes at the next <see cref="Pulse"/> after it was read.</summary>
    public Task NextPulse => Volatile.Read(ref _next).Task;

    /// <summary>Wakes every loop waiting on the current <see cref="NextPulse"/>.</summary>
    public void Pulse() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    // Continuations run asynchronously so the pulsing thread (the store's group-commit writer) never runs a worker loop inline.
    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
