namespace Hotswap;

/// <summary>
/// Names what keeps a retired plugin version alive once it has been reported stuck: the host asks
/// it before it raises <see cref="PluginHost.UnloadStuck"/>, and what it answers becomes part of
/// <see cref="UnloadStuckEventArgs.Cause"/>, of the log and of the status file
/// (see <see cref="PluginHostOptions.UnloadDiagnoser"/>).
/// </summary>
/// <remarks>
/// The package <c>Hotswap.Diagnostics</c> has one, <c>HeapDumpDiagnoser</c>, that dumps the
/// process's heap and names the shortest chain of references from a GC root to each version.
/// </remarks>
public interface IUnloadDiagnoser
{
    /// <summary>Finds what holds each of the versions.</summary>
    /// <param name="versions">The versions reported stuck since the last call, at least one; their load contexts were unloaded (or their <c>OnFreeAsync</c> never returned).</param>
    /// <param name="cancellationToken">Canceled when the host stops waiting for the answer (after 5 minutes).</param>
    /// <returns>
    /// For each version it found something about, that finding as sentences. A version left out is
    /// reported with what the host knows by itself.
    /// </returns>
    Task<IReadOnlyDictionary<PluginVersionInfo, string>> DiagnoseAsync(IReadOnlyList<PluginVersionInfo> versions, CancellationToken cancellationToken);
}
