namespace GitLabMrBot.UnitTests.Webhooks;

/// <summary>A clock that shows the time a test sets.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
