namespace Hotswap;

/// <summary>Data of <see cref="PluginHost.Reloading"/>: a reload is starting.</summary>
public sealed class ReloadingEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="ReloadingEventArgs"/> class.</summary>
    /// <param name="servingGeneration">The number of the generation serving now; 0 before the first load.</param>
    public ReloadingEventArgs(long servingGeneration) => ServingGeneration = servingGeneration;

    /// <summary>Gets the number of the generation serving now; 0 before the first load.</summary>
    public long ServingGeneration { get; }
}
