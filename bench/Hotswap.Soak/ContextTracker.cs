using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Hotswap.Soak.Contracts;

namespace Hotswap.Soak;

/// <summary>
/// The soak's own proof of unloading, apart from the host's events: a weak reference to the load
/// context of every version that served, taken from its export; and a count of the plugin
/// contexts <see cref="AssemblyLoadContext.All"/> still lists, which are those never unloaded
/// (a context leaves that list when <c>Unload()</c> is called, collected or not).
/// </summary>
/// <remarks>
/// The weak references are weak GC handles in an array sized up front, not
/// <see cref="WeakReference"/> objects: tracking allocates nothing on the managed heap, so the
/// heap measured after the reloads holds nothing of the soak's own per reload.
/// </remarks>
internal sealed class ContextTracker(string[] names, int capacity) : IDisposable
{
    private readonly GCHandle[] _contexts = new GCHandle[capacity];
    private int _count;

    /// <summary>Gets how many contexts were tracked.</summary>
    public int Count => _count;

    /// <summary>Counts the load contexts of the soak's plugins that <see cref="AssemblyLoadContext.All"/> lists: those not unloaded yet.</summary>
    /// <param name="pluginNames">The plugins' names.</param>
    /// <returns>The count.</returns>
    public static int CountListedContexts(string[] pluginNames)
    {
        int count = 0;
        foreach (AssemblyLoadContext context in AssemblyLoadContext.All)
        {
            if (context.Name is { } name && Array.Exists(pluginNames, n => name.StartsWith(n + "@", StringComparison.Ordinal)))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// Takes a weak reference to the context of every plugin the current generation serves, and
    /// checks that each is a collectible context named after the version the generation lists.
    /// </summary>
    /// <param name="host">The host, just loaded or reloaded (nothing else reloads it).</param>
    /// <returns>What is wrong, or <see langword="null"/>.</returns>
    /// <remarks>Not inlined, and returning no plugin object: nothing of the versions stays on the caller's stack or in its async state machine.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public string? TrackServing(PluginHost host)
    {
        using GenerationLease lease = host.Acquire();
        foreach (string name in names)
        {
            string? version = lease.Generation.Plugins.FirstOrDefault(p => p.PluginName == name).Version;
            object export = lease.Generation.GetExport<ISoakProbe>(name);
            AssemblyLoadContext? context = AssemblyLoadContext.GetLoadContext(export.GetType().Assembly);
            if (context is null || !context.IsCollectible || context.Name != $"{name}@{version}")
            {
                return $"generation {lease.Generation.Number}: {name} is served from the context '{context?.Name}' (collectible: {context?.IsCollectible}), not from a collectible '{name}@{version}'.";
            }

            if (_count == _contexts.Length)
            {
                return $"more versions served than the {_contexts.Length} expected.";
            }

            _contexts[_count++] = GCHandle.Alloc(context, GCHandleType.Weak);
        }

        return null;
    }

    /// <summary>
    /// Forces full collections until every tracked context but the last <paramref name="serving"/>
    /// is collected, or <paramref name="bound"/> has passed; returns how many are still alive.
    /// </summary>
    /// <param name="serving">The contexts tracked last, still serving: not counted.</param>
    /// <param name="bound">The longest time to keep collecting.</param>
    /// <returns>The retired contexts still alive.</returns>
    public async Task<int> CountRetiredAliveAsync(int serving, TimeSpan bound)
    {
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            Collect();
            int alive = 0;
            for (int i = 0; i < _count - serving; i++)
            {
                if (_contexts[i].Target is not null)
                {
                    alive++;
                }
            }

            if (alive == 0 || Stopwatch.GetElapsedTime(start) >= bound)
            {
                return alive;
            }

            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    /// <summary>Frees the handles.</summary>
    public void Dispose()
    {
        for (int i = 0; i < _count; i++)
        {
            _contexts[i].Free();
        }

        _count = 0;
    }

    /// <summary>Two full blocking collections around the finalizers, as the unload proof in the tests does.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
