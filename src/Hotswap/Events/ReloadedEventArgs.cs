namespace Hotswap;

/// <summary>Data of <see cref="PluginHost.Reloaded"/>: a reload succeeded.</summary>
public sealed class ReloadedEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="ReloadedEventArgs"/> class.</summary>
    /// <param name="result">The reload's result.</param>
    /// <exception cref="ArgumentNullException"><paramref name="result"/> is <see langword="null"/>.</exception>
    public ReloadedEventArgs(ReloadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Result = result;
    }

    /// <summary>Gets the reload's result.</summary>
    public ReloadResult Result { get; }
}
