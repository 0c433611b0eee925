namespace Hotswap;

/// <summary>A proxy that the generation source points at the serving generation on every switch.</summary>
internal interface IProxyTarget
{
    /// <summary>Points the proxy at <paramref name="generation"/>; called one at a time, under the source's lock.</summary>
    /// <param name="generation">The generation serving, or <see langword="null"/> when none does.</param>
    void Retarget(PluginGeneration? generation);
}
