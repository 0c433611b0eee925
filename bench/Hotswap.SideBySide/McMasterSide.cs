using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using Hotswap.SideBySide.Contracts;
using McMaster.NETCore.Plugins;

namespace Hotswap.SideBySide;

/// <summary>
/// McMaster.NETCore.Plugins the way its documentation and samples use it: a
/// <c>PluginLoader</c> created with <c>PluginLoader.CreateFromAssemblyFile(path, isUnloadable, sharedTypes, configure)</c>
/// (unloadable, the contract shared), the plugin's type found in <c>PluginLoader.LoadDefaultAssembly</c>
/// and created by reflection, and the instance kept in a <see langword="volatile"/> field that the
/// host's <c>PluginLoader.Reloaded</c> handler sets again: the pattern its users write so
/// that calls follow reloads.
/// </summary>
/// <remarks>
/// <para>
/// Deploying is copying the build's files into the plugin's folder, over the old ones: the folder is
/// the plugin, and its watcher watches it. Assemblies are loaded from memory
/// (<c>PluginConfig.LoadInMemory</c>, which <c>PluginConfig.EnableHotReload</c> turns
/// on anyway), so overwriting them is safe: a file loaded by path is mapped, and overwriting a mapped
/// assembly in place can crash the process on Linux.
/// </para>
/// <para>
/// The plugin's cleanup is its <see cref="IDisposable.Dispose"/>, which the handler calls on the old
/// instance right after the swap: the only point at which a McMaster host learns that the old
/// version is gone (its context is already unloading by then).
/// </para>
/// </remarks>
internal sealed class McMasterSide : IDisposable
{
    private readonly PluginLoader _loader;
    private volatile ISideProbe _current;
    private WeakReference? _previousContext;

    private McMasterSide(string folder, PluginLoader loader)
    {
        Folder = folder;
        _loader = loader;
        _current = CreateProbe(loader);
        _loader.Reloaded += OnReloaded;
    }

    /// <summary>Raised after the handler swapped the instance in, on the thread that reloaded.</summary>
    public event EventHandler? Swapped;

    /// <summary>Gets the plugin's folder.</summary>
    public string Folder { get; }

    /// <summary>Gets the current instance: the call that follows reloads is a call on this field.</summary>
    public ISideProbe Current => _current;

    /// <summary>Gets the loader.</summary>
    public PluginLoader Loader => _loader;

    /// <summary>Copies <paramref name="build"/> into a fresh folder and loads it.</summary>
    /// <param name="build">The build copied first.</param>
    /// <param name="watch">Whether the loader watches its folder (<c>PluginConfig.EnableHotReload</c>).</param>
    /// <returns>The loaded side.</returns>
    public static McMasterSide Create(int build, bool watch)
    {
        string folder = SidePaths.CreateTemp("mcmaster");
        CopyBuild(build, folder);
        return new McMasterSide(folder, CreateLoader(folder, watch));
    }

    /// <summary>Creates a loader on a folder holding a build, the way this benchmark always configures it.</summary>
    /// <param name="folder">The plugin's folder.</param>
    /// <param name="watch">Whether the loader watches its folder.</param>
    /// <returns>The loader.</returns>
    public static PluginLoader CreateLoader(string folder, bool watch)
        => PluginLoader.CreateFromAssemblyFile(
            Path.Combine(folder, SidePaths.EntryAssembly),
            isUnloadable: true,
            sharedTypes: [typeof(ISideProbe)],
            config =>
            {
                config.LoadInMemory = true;
                config.EnableHotReload = watch;
            });

    /// <summary>Finds the probe type in the plugin's main assembly and creates an instance, as the samples do.</summary>
    /// <param name="loader">The loader.</param>
    /// <returns>The new instance.</returns>
    public static ISideProbe CreateProbe(PluginLoader loader)
    {
        Type type = loader.LoadDefaultAssembly().GetTypes().First(t => typeof(ISideProbe).IsAssignableFrom(t) && !t.IsAbstract);
        return (ISideProbe)Activator.CreateInstance(type)!; // the type has a public parameterless constructor
    }

    /// <summary>Copies every file of a build's output into the plugin's folder, over what is there: the peer's deploy.</summary>
    /// <param name="build">1 or 2.</param>
    /// <param name="folder">The plugin's folder.</param>
    public static void CopyBuild(int build, string folder)
    {
        foreach (string file in Directory.EnumerateFiles(SidePaths.PluginOutput(build)))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
        }
    }

    /// <summary>Copies a build into this side's folder.</summary>
    /// <param name="build">1 or 2.</param>
    public void CopyBuild(int build) => CopyBuild(build, Folder);

    /// <summary>Reloads through the API (<c>PluginLoader.Reload</c>); the handler swaps the instance before this returns.</summary>
    public void Reload() => _loader.Reload();

    /// <summary>
    /// What a McMaster host does to know the old context is gone (the library offers nothing): drop
    /// every reference (the handler did), then collect until a weak reference to the old context
    /// is dead.
    /// </summary>
    /// <param name="maxCollections">How many collections to try at most.</param>
    /// <returns>The collections it took, or -1 if the context was still alive.</returns>
    public int CollectUntilPreviousDead(int maxCollections = 100)
    {
        WeakReference? previous = _previousContext;
        _previousContext = null;
        return previous is null ? 0 : CollectUntilDead(previous, maxCollections);
    }

    /// <summary>The user's loop: collect until <paramref name="context"/> is dead.</summary>
    /// <param name="context">A weak reference to a load context.</param>
    /// <param name="maxCollections">How many collections to try at most.</param>
    /// <returns>The collections it took, or -1 if the context was still alive.</returns>
    public static int CollectUntilDead(WeakReference context, int maxCollections = 100)
    {
        for (int i = 0; i < maxCollections; i++)
        {
            if (!context.IsAlive)
            {
                return i;
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        return context.IsAlive ? -1 : maxCollections;
    }

    /// <summary>Disposes the current instance and the loader (which unloads its context), and deletes the folder.</summary>
    public void Dispose()
    {
        _loader.Reloaded -= OnReloaded;
        (_current as IDisposable)?.Dispose();
        _loader.Dispose();
        SidePaths.DeleteTemp(Folder);
    }

    // Not inlined, so no reference to the old context outlives this frame in a register or a local.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference WeakContextOf(object instance) => new(AssemblyLoadContext.GetLoadContext(instance.GetType().Assembly));

    // The users' pattern: load the new default assembly, create the new instance, publish it in the
    // volatile field, then clean up the old one. Runs on the thread that called Reload(), or a
    // thread-pool thread for the watcher.
    private void OnReloaded(object sender, PluginReloadedEventArgs eventArgs)
    {
        ISideProbe next = CreateProbe(eventArgs.Loader);
        ISideProbe old = _current;
        _current = next;
        (old as IDisposable)?.Dispose();
        _previousContext = WeakContextOf(old);
        Swapped?.Invoke(this, EventArgs.Empty);
    }
}
