namespace Hotswap.Diagnostics;

/// <summary>The diagnosers this package provides, for <see cref="PluginHostOptions.UnloadDiagnoser"/>.</summary>
public static class UnloadDiagnosers
{
    /// <summary>
    /// Returns a diagnoser that names what keeps a stuck version alive by dumping this process's
    /// heap and reading the dump: the shortest chain of references from a GC root to the version,
    /// the root's kind, and what to release.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The same search as <c>hotswap diagnose</c>, run by the host on itself. The dump pauses the
    /// whole process while the runtime writes it (about 0.8 to 1.7 seconds for a 200 MB heap on the
    /// 2-core machine of bench/README.md); the dump is then read on a thread-pool thread and deleted.
    /// The first diagnosis leaves the process's working set about as much larger as its heap.
    /// </para>
    /// <para>
    /// The process needs its diagnostic port (on unless <c>DOTNET_EnableDiagnostics=0</c>) and room
    /// for the dump in <see cref="HeapDumpOptions.DumpFolder"/>. A process that exits while a dump is
    /// being written leaves it there.
    /// </para>
    /// </remarks>
    /// <param name="options">Where the dump goes, whether it is kept, how often the process may be dumped, how long a chain is named; the defaults when <see langword="null"/>.</param>
    /// <returns>The diagnoser.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="HeapDumpOptions.ChainEnds"/> is less than 1, or <see cref="HeapDumpOptions.MinimumInterval"/> is negative.</exception>
    public static IUnloadDiagnoser HeapDump(HeapDumpOptions? options = null)
    {
        options ??= new HeapDumpOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ChainEnds, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MinimumInterval, TimeSpan.Zero, nameof(options));
        return new HeapDumpDiagnoser(options.DumpFolder, options.KeepDump, options.ChainEnds, options.MinimumInterval);
    }
}
