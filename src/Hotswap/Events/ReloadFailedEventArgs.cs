namespace Hotswap;

/// <summary>Data of <see cref="PluginHost.ReloadFailed"/>: a reload failed and the previous generation keeps serving.</summary>
public sealed class ReloadFailedEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="ReloadFailedEventArgs"/> class.</summary>
    /// <param name="result">The failed reload's result.</param>
    /// <exception cref="ArgumentNullException"><paramref name="result"/> is <see langword="null"/>.</exception>
    public ReloadFailedEventArgs(ReloadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Result = result;
    }

    /// <summary>Gets the failed reload's result; <see cref="ReloadResult.Error"/> names the plugin, phase and file.</summary>
    public ReloadResult Result { get; }
}
