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
    /// Forces full collections until every tracked context but those of the generations
    /// <paramref name="held"/> is collected, or <paramref name="bound"/> has passed; returns how
    /// many are still alive.
    /// </summary>
    /// <param name="held">
    /// The first slot (the <see cref="Count"/> before its <see cref="TrackServing"/>) of each
    /// generation the host still holds, serving or kept on probation: its contexts are not counted.
    /// </param>
    /// <param name="bound">The longest time to keep collecting.</param>
    /// <returns>The retired contexts still alive.</returns>
    public async Task<int> CountRetiredAliveAsync(int[] held, TimeSpan bound)
    {
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            Collect();
            int alive = 0;
            for (int i = 0; i < _count; i++)
            {
                if (!IsIn(i, held) && _contexts[i].Target is not null)
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

    /// <summary>Counts the contexts of the generations tracked at <paramref name="firsts"/> still alive, without collecting.</summary>
    /// <param name="firsts">The first slot of each generation, as for <see cref="CountRetiredAliveAsync"/>.</param>
    /// <param name="generations">How many entries of <paramref name="firsts"/> to look at.</param>
    /// <returns>The contexts still alive.</returns>
    public int CountAlive(int[] firsts, int generations)
    {
        int alive = 0;
        for (int g = 0; g < generations; g++)
        {
            for (int i = firsts[g]; i < firsts[g] + names.Length && i < _count; i++)
            {
                if (_contexts[i].Target is not null)
                {
                    alive++;
                }
            }
        }

        return alive;
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

    private bool IsIn(int slot, int[] firsts)
    {
        foreach (int first in firsts)
        {
            if (slot >= first && slot < first + names.Length)
            {
                return true;
            }
        }

        return false;
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
