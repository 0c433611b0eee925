namespace Hotswap;

/// <summary>
/// Names what keeps a retired plugin version alive once it has been found stuck: the host asks it
/// before it raises <see cref="PluginHost.UnloadStuck"/>, and what it answers becomes part of
/// <see cref="UnloadStuckEventArgs.Cause"/>, of the log and of the status file
/// (see <see cref="PluginHostOptions.UnloadDiagnoser"/>).
/// </summary>
/// <remarks>
/// The package <c>Hotswap.Diagnostics</c> has one, <c>UnloadDiagnosers.HeapDump()</c>, that dumps
/// the process's heap and names the shortest chain of references from a GC root to each version.
/// The host asks one question at a time, on the thread pool.
/// </remarks>
public interface IUnloadDiagnoser
{
    /// <summary>Finds what holds each of the versions.</summary>
    /// <param name="arguments">The versions found stuck.</param>
    /// <param name="cancellationToken">Canceled when the host stops waiting for the answer: after 5 minutes, or when it is disposed.</param>
    /// <returns>
    /// For each version it found something about, that finding as sentences. A version left out is
    /// reported with what the host knows by itself.
    /// </returns>
    Task<IReadOnlyDictionary<PluginVersionInfo, string>> DiagnoseAsync(UnloadDiagnosisArguments arguments, CancellationToken cancellationToken);
}
