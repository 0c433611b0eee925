using System.Diagnostics;

namespace Hotswap.Soak;

/// <summary>The process's memory, threads and plugin contexts at one moment, taken after forced full collections.</summary>
/// <param name="ManagedBytes"><c>GC.GetTotalMemory(true)</c>, after two full collections around the finalizers.</param>
/// <param name="HeapBytes"><c>GC.GetGCMemoryInfo().HeapSizeBytes</c> of the last full blocking collection.</param>
/// <param name="CommittedBytes"><c>GC.GetGCMemoryInfo().TotalCommittedBytes</c> of the same collection.</param>
/// <param name="FragmentedBytes"><c>GC.GetGCMemoryInfo().FragmentedBytes</c> of the same collection.</param>
/// <param name="WorkingSetBytes">The process's working set.</param>
/// <param name="PrivateBytes">The process's private memory.</param>
/// <param name="Threads">The process's threads, as the OS counts them.</param>
/// <param name="PoolThreads">The thread pool's threads.</param>
/// <param name="Assemblies">The assemblies loaded, in every load context.</param>
/// <param name="PluginContexts">The soak plugins' load contexts that <c>AssemblyLoadContext.All</c> lists: those not unloaded yet (a context leaves the list when <c>Unload()</c> is called, not when it is collected).</param>
/// <param name="MappedPluginFiles">The memory mappings of files under the plugins root (Linux, from <c>/proc/self/maps</c>; -1 elsewhere).</param>
internal sealed record ProcessSnapshot(
    long ManagedBytes,
    long HeapBytes,
    long CommittedBytes,
    long FragmentedBytes,
    long WorkingSetBytes,
    long PrivateBytes,
    int Threads,
    int PoolThreads,
    int Assemblies,
    int PluginContexts,
    int MappedPluginFiles)
{
    /// <summary>Forces full collections, then takes the snapshot.</summary>
    /// <param name="root">The plugins root.</param>
    /// <returns>The snapshot.</returns>
    public static ProcessSnapshot Take(SoakRoot root)
    {
        ContextTracker.Collect();
        long managed = GC.GetTotalMemory(forceFullCollection: true);
        GCMemoryInfo gc = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        using Process process = Process.GetCurrentProcess();
        return new ProcessSnapshot(
            managed,
            gc.HeapSizeBytes,
            gc.TotalCommittedBytes,
            gc.FragmentedBytes,
            process.WorkingSet64,
            process.PrivateMemorySize64,
            process.Threads.Count,
            ThreadPool.ThreadCount,
            AppDomain.CurrentDomain.GetAssemblies().Length,
            ContextTracker.CountListedContexts(root.Names),
            CountMappedFiles(root.Path));
    }

    /// <summary>Gets the process's thread count, as the OS counts it, without collecting.</summary>
    /// <returns>The count.</returns>
    public static int CountThreads()
    {
        using Process process = Process.GetCurrentProcess();
        return process.Threads.Count;
    }

    private static int CountMappedFiles(string under)
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        int count = 0;
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            if (line.Contains(under, StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }
}
