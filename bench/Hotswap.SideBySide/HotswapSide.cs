using Hotswap.SideBySide.Contracts;

namespace Hotswap.SideBySide;

/// <summary>
/// Hotswap the way its documentation recommends: the plugin published with
/// <see cref="PluginPublisher.PublishAsync"/> into a plugins root, a <see cref="PluginHost"/> on it
/// (default options; <see cref="PluginHostOptions.Watch"/> for the watcher), and every call through
/// the generated proxy (<see cref="PluginHost.GetProxy{T}"/>), which follows reloads by itself.
/// </summary>
internal sealed class HotswapSide : IAsyncDisposable
{
    /// <summary>The plugin's name under the plugins root.</summary>
    public const string PluginName = "probe";

    // Version ids are named after the publish time; a clock one second further at every publish
    // gives each publish its own folder even when it publishes a build already published.
    private static long s_published;

    private readonly object _unloadedLock = new();
    private long _unloaded;
    private long _lastUnloadedTimestamp;
    private TaskCompletionSource? _unloadedChanged;

    private HotswapSide(string root, PluginHost host)
    {
        Root = root;
        Host = host;
        host.Unloaded += OnUnloaded;
        Proxy = host.GetProxy<ISideProbe>(PluginName);
    }

    /// <summary>Gets the plugins root.</summary>
    public string Root { get; }

    /// <summary>Gets the host.</summary>
    public PluginHost Host { get; }

    /// <summary>Gets the generated proxy: the call that follows reloads.</summary>
    public ISideProbe Proxy { get; }

    /// <summary>Gets how many versions the host reported unloaded (its <see cref="PluginHost.Unloaded"/> event).</summary>
    public long UnloadedCount => Interlocked.Read(ref _unloaded);

    /// <summary>Publishes <paramref name="build"/> into a fresh plugins root and loads a host on it.</summary>
    /// <param name="build">The build published first.</param>
    /// <param name="watch">Whether the host watches its plugins root.</param>
    /// <param name="precompile">Whether new versions are compiled before they serve (<see cref="PluginHostOptions.Precompile"/>, on by default).</param>
    /// <returns>The loaded side.</returns>
    public static async Task<HotswapSide> CreateAsync(int build, bool watch, bool precompile = true)
    {
        string root = SidePaths.CreateTemp("hotswap");
        await PublishAsync(root, build, activate: true).ConfigureAwait(false);
        PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = root, Watch = watch, Precompile = precompile });
        var side = new HotswapSide(root, host);
        (await host.LoadAsync().ConfigureAwait(false)).EnsureSuccess();
        return side;
    }

    /// <summary>Publishes one build of the plugin as a new version folder (hashes, manifest, and the flip of <c>current</c> when <paramref name="activate"/>).</summary>
    /// <param name="root">The plugins root.</param>
    /// <param name="build">1 or 2.</param>
    /// <param name="activate">Whether the new version becomes current.</param>
    /// <returns>The version id.</returns>
    public static async Task<string> PublishAsync(string root, int build, bool activate)
    {
        var options = new PublishOptions
        {
            Activate = activate,
            TimeProvider = new FixedTime(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(Interlocked.Increment(ref s_published))),
        };
        PublishResult result = await PluginPublisher.PublishAsync(SidePaths.PluginOutput(build), root, PluginName, options).ConfigureAwait(false);
        return result.Version;
    }

    /// <summary>Publishes one build into this side's plugins root.</summary>
    /// <param name="build">1 or 2.</param>
    /// <param name="activate">Whether the new version becomes current.</param>
    /// <returns>The version id.</returns>
    public Task<string> PublishAsync(int build, bool activate) => PublishAsync(Root, build, activate);

    /// <summary>Makes a published version current.</summary>
    /// <param name="version">The version id.</param>
    public void Activate(string version) => PluginPublisher.Activate(Root, PluginName, version);

    /// <summary>Waits until the host has reported <paramref name="count"/> versions unloaded in all.</summary>
    /// <param name="count">The count to reach.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <returns>The <see cref="System.Diagnostics.Stopwatch"/> timestamp of the last <see cref="PluginHost.Unloaded"/> event.</returns>
    /// <exception cref="TimeoutException">Fewer versions were unloaded within <paramref name="timeout"/>.</exception>
    public async Task<long> WaitUnloadedAsync(long count, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_unloadedLock)
            {
                if (_unloaded >= count)
                {
                    return _lastUnloadedTimestamp;
                }

                _unloadedChanged ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                changed = _unloadedChanged.Task;
            }

            try
            {
                await changed.WaitAsync(cancel.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Hotswap reported {UnloadedCount} versions unloaded, not {count}, within {timeout.TotalSeconds} s.");
            }
        }
    }

    /// <summary>Takes a weak reference to the load context of the version now serving (through a lease released at once).</summary>
    /// <returns>The weak reference.</returns>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public WeakReference WeakCurrentContext()
    {
        using GenerationLease lease = Host.Acquire();
        return new WeakReference(System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(lease.Generation.GetExport<ISideProbe>(PluginName).GetType().Assembly));
    }

    /// <summary>Stops the host (it waits for its versions to unload) and deletes the plugins root.</summary>
    /// <returns>A task that completes when done.</returns>
    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync().ConfigureAwait(false);
        SidePaths.DeleteTemp(Root);
    }

    private void OnUnloaded(object? sender, UnloadedEventArgs e)
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        TaskCompletionSource? changed;
        lock (_unloadedLock)
        {
            _unloaded++;
            _lastUnloadedTimestamp = now;
            changed = _unloadedChanged;
            _unloadedChanged = null;
        }

        changed?.TrySetResult();
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
