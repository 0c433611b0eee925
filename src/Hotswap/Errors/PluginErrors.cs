using System.Reflection;
using System.Runtime.ExceptionServices;

namespace Hotswap;

/// <summary>
/// Host-side copies of exceptions thrown by plugin code. An exception keeps what threw it: its
/// stack trace references the plugin's methods (and so its load context), and its type may be a
/// plugin type. A copy keeps the type name, message and stack trace as text, and nothing else.
/// </summary>
internal static class PluginErrors
{
    /// <summary>Returns <paramref name="error"/> with its inner exception replaced by a host-side copy.</summary>
    /// <param name="error">A reload's error.</param>
    /// <returns>An error that pins no plugin version.</returns>
    public static PluginLoadException Detach(PluginLoadException error)
        => error.InnerException is null or DetachedException
            ? error
            : new PluginLoadException(error.PluginName ?? SR.AllPlugins, error.Phase, error.FilePath, error.Reason ?? error.Message, Detach(error.InnerException));

    /// <summary>Returns a host-side copy of <paramref name="exception"/> and of its inner exceptions.</summary>
    /// <param name="exception">An exception from plugin code.</param>
    /// <returns>The copy.</returns>
    public static Exception Detach(Exception exception)
        => exception is DetachedException ? exception : new DetachedException(exception);

    /// <summary>
    /// Returns an exception for a caller to keep (in a faulted task): of the same type, message and
    /// stack trace (as text) when the type is the host's, or a host-side copy when the type itself
    /// belongs to the plugin or cannot be recreated.
    /// </summary>
    /// <param name="exception">An exception from plugin code.</param>
    /// <returns>An exception that pins no plugin version; not yet thrown.</returns>
    public static Exception ForCaller(Exception exception)
    {
        if (exception is DetachedException || exception.GetType().Assembly.IsCollectible)
        {
            return Detach(exception);
        }

        Exception? inner = exception.InnerException is { } i ? ForCaller(i) : null;
        Exception? copy = exception switch
        {
            AggregateException all => new AggregateException(all.InnerExceptions.Select(ForCaller)),
            TaskCanceledException canceled when exception.GetType() == typeof(TaskCanceledException) => new TaskCanceledException(canceled.Message, inner, canceled.CancellationToken),
            OperationCanceledException canceled when exception.GetType() == typeof(OperationCanceledException) => new OperationCanceledException(canceled.Message, inner, canceled.CancellationToken),
            _ => TryCreate(exception.GetType(), exception.Message, inner),
        };
        if (copy is null)
        {
            return Detach(exception);
        }

        copy.HResult = exception.HResult;
        copy.Source = exception.Source;
        if (exception.StackTrace is { } trace)
        {
            ExceptionDispatchInfo.SetRemoteStackTrace(copy, trace);
        }

        return copy;
    }

    private static Exception? TryCreate(Type type, string message, Exception? inner)
    {
        try
        {
            ConstructorInfo? withInner = inner is null ? null : type.GetConstructor([typeof(string), typeof(Exception)]);
            if (withInner is not null)
            {
                return (Exception)withInner.Invoke([message, inner]);
            }

            return type.GetConstructor([typeof(string)])?.Invoke([message]) as Exception;
        }
#pragma warning disable CA1031 // A constructor that throws only means this type cannot be recreated: the caller falls back to a host-side copy.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    /// <summary>What remains of an exception from plugin code: its type's name, message and stack trace, as text.</summary>
    private sealed class DetachedException : Exception
    {
        private readonly string _originalType;
        private readonly string? _stackTrace;

        public DetachedException(Exception original)
            : base(original.Message, original.InnerException is null ? null : new DetachedException(original.InnerException))
        {
            _originalType = original.GetType().FullName ?? original.GetType().Name;
            _stackTrace = original.StackTrace;
            HResult = original.HResult;
            Source = original.Source;
            Data["Hotswap.OriginalType"] = _originalType;
        }

        public override string? StackTrace => _stackTrace;

        public override string ToString()
        {
            string text = $"{_originalType}: {Message}";
            if (InnerException is not null)
            {
                text += $" ---> {InnerException}{Environment.NewLine}   --- End of inner exception stack trace ---";
            }

            return _stackTrace is null ? text : text + Environment.NewLine + _stackTrace;
        }
    }
}
