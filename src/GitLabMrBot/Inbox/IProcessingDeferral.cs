namespace GitLabMrBot.Inbox;

/// <summary>
/// Tells the worker when a failed processing was not the delivery's fault: the service it calls is down (its circuit
/// is open) or asked to wait longer than a retry would. The batch then goes back, due at the returned time, without
/// counting an attempt, and the worker claims nothing before then; so an outage of any length burns no attempts and
/// leaves no dead letters. Registered by the layer that knows the service (the GitLab client); none by default.
/// </summary>
public interface IProcessingDeferral
{
    /// <summary>When processing may be tried again; null when <paramref name="failure"/> may be the delivery's own (an attempt counts).</summary>
    DateTimeOffset? DeferUntil(Exception failure);
}
