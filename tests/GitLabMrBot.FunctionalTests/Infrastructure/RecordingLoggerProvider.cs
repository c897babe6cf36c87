using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GitLabMrBot.FunctionalTests.Infrastructure;

/// <summary>One log line the host wrote.</summary>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);

/// <summary>
/// Keeps every log line of a test host from <paramref name="minimum"/> up (default Debug), so tests can assert what was
/// (and was not) logged.
/// </summary>
public sealed class RecordingLoggerProvider(LogLevel minimum = LogLevel.Debug) : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new RecordingLogger(categoryName, minimum, _entries);

    public void Dispose()
    {
    }

    private sealed class RecordingLogger(string category, LogLevel minimum, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}
