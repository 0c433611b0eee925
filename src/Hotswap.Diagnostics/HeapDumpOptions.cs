namespace Hotswap.Diagnostics;

/// <summary>Options of the diagnoser <see cref="UnloadDiagnosers.HeapDump"/> returns.</summary>
public sealed class HeapDumpOptions
{
    /// <summary>Gets or sets the folder the dump is written to; it is created (readable by the process's user only) if missing.</summary>
    /// <value>
    /// <see langword="null"/> by default: a new private folder under the temporary folder, deleted with
    /// the dump. The dump is about as large as the heap and holds everything the process had in memory;
    /// where the temporary folder is in memory (a <c>tmpfs</c>, a container's memory-backed volume),
    /// the dump counts against the process's memory: choose a folder on disk.
    /// </value>
    public string? DumpFolder { get; set; }

    /// <summary>Gets or sets a value indicating whether each dump is kept after it was read, for <c>dotnet-dump analyze</c>; the finding names its path.</summary>
    /// <value><see langword="false"/> by default.</value>
    public bool KeepDump { get; set; }

    /// <summary>
    /// Gets or sets the shortest time between two heap dumps of this process: a version found stuck
    /// sooner after the last dump (by any host of the process) is reported without one, and its
    /// finding says when the last dump was and that <c>hotswap diagnose</c> takes one at once.
    /// </summary>
    /// <value>
    /// 10 minutes by default, so that a host that leaks on every reload does not pause at every one;
    /// <see cref="TimeSpan.Zero"/> for no limit.
    /// </value>
    public TimeSpan MinimumInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets how many objects of a chain the finding names at each end; those between are counted.</summary>
    /// <value>8 by default: most chains are shorter, and a chain through a long list stays one readable line.</value>
    public int ChainEnds { get; set; } = 8;
}
