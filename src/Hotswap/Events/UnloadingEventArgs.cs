namespace Hotswap;

/// <summary>Data of <see cref="PluginHost.Unloading"/>: a retired version has drained and is being freed and unloaded.</summary>
public sealed class UnloadingEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="UnloadingEventArgs"/> class.</summary>
    /// <param name="version">The version being unloaded.</param>
    public UnloadingEventArgs(PluginVersionInfo version) => Version = version;

    /// <summary>Gets the version being unloaded.</summary>
    public PluginVersionInfo Version { get; }
}
