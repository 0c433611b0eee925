using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Hotswap.Tests.Support;

/// <summary>Keeps every log entry as text (never the exception object, which would pin plugin code).</summary>
public sealed class RecordingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _waiters = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    /// <summary>Completes once an entry with <paramref name="eventId"/> was logged (before or after the call).</summary>
    public Task WhenLogged(int eventId)
    {
        TaskCompletionSource waiter = _waiters.GetOrAdd(eventId, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (_entries.Any(e => e.EventId == eventId))
        {
            waiter.TrySetResult();
        }

        return waiter.Task;
    }

    private void Add(LogEntry entry)
    {
        _entries.Enqueue(entry);
        if (_waiters.TryGetValue(entry.EventId, out TaskCompletionSource? waiter))
        {
            waiter.TrySetResult();
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public sealed record LogEntry(string Category, LogLevel Level, int EventId, string Message, string? Exception);

    private sealed class Logger(RecordingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.Add(new LogEntry(category, logLevel, eventId.Id, formatter(state, exception), exception?.ToString()));
    }
}
