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
