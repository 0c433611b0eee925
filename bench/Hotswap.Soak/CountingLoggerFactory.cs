using Microsoft.Extensions.Logging;

namespace Hotswap.Soak;

/// <summary>
/// The host's logger: counts what it logs at warning level and above, and keeps the first of
/// those messages. The host reports some failures (a retirement that threw, a handler that threw)
/// only there. The warning the host logs for each rollback (event 20) is counted apart: with
/// <c>--rollback-every</c> it is expected, once per rollback.
/// </summary>
internal sealed class CountingLoggerFactory(ProblemLog problems) : ILoggerFactory, ILogger
{
    // Log.RolledBack in the host: "Rolled back to generation ...", a warning by design.
    private const int RolledBackEvent = 20;

    private long _warnings;
    private long _errors;
    private long _rollbacks;

    /// <summary>Gets how many warnings were logged.</summary>
    public long Warnings => Interlocked.Read(ref _warnings);

    /// <summary>Gets how many errors (and critical messages) were logged.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Gets how many "rolled back" warnings were logged; not counted in <see cref="Warnings"/>.</summary>
    public long RollbackWarnings => Interlocked.Read(ref _rollbacks);

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel))
        {
            return;
        }

        if (logLevel == LogLevel.Warning && eventId.Id == RolledBackEvent)
        {
            Interlocked.Increment(ref _rollbacks);
            return;
        }

        Interlocked.Increment(ref logLevel >= LogLevel.Error ? ref _errors : ref _warnings);
        string message = formatter(state, exception);
        problems.Add($"host {logLevel}:", exception is null ? message : $"{message} {exception.GetType().Name}: {exception.Message}");
    }

    public void Dispose()
    {
    }
}
