using Hotswap.Benchmarks.Contracts;

namespace Hotswap.SwapLatency;

/// <summary>
/// One host on its own plugins root in the temp folder: the benchmark plugin published as
/// <c>calc</c> twice (two version folders of the same build output), loaded, and a proxy on it.
/// Each <see cref="Swap"/> flips <c>current</c> to the other folder and reloads, so every swap
/// loads a new version into a new collectible load context. Deleted on dispose.
/// </summary>
internal sealed class SwapRoot : IDisposable
{
    /// <summary>The plugin's name in the root.</summary>
    public const string PluginName = "calc";

    private static readonly TimeSpan s_unloadWait = TimeSpan.FromSeconds(30);

    private readonly string _path;
    private readonly string[] _versions;
    private readonly SemaphoreSlim _unloaded = new(0);
    private int _next = 1;
    private int _pendingUnloads;
    private string? _stuck;

    private SwapRoot(string path, string[] versions, PluginHost host, WarmUp warmUp)
    {
        _path = path;
        _versions = versions;
        Host = host;
        WarmUp = warmUp;
        host.Unloaded += (_, _) => _unloaded.Release();
        host.UnloadStuck += (_, e) =>
        {
            if (!e.StillDraining)
            {
                Volatile.Write(ref _stuck, $"{e.Version}: {e.Cause}");
                _unloaded.Release();
            }
        };
        Proxy = host.GetProxy<ICalculator>(PluginName);
    }

    /// <summary>Gets the host.</summary>
    public PluginHost Host { get; }

    /// <summary>Gets the generated proxy on the plugin.</summary>
    public ICalculator Proxy { get; }

    /// <summary>Gets how new versions are warmed before the switch.</summary>
    public WarmUp WarmUp { get; }

    /// <summary>Gets the swaps run so far.</summary>
    public int Swaps { get; private set; }

    /// <summary>Publishes the plugin twice into a fresh root and loads the first version.</summary>
    /// <param name="warmUp">How new versions are warmed.</param>
    /// <param name="probation">The host's probation period (<see cref="PluginHostOptions.Probation"/>); zero for none.</param>
    /// <returns>The loaded root.</returns>
    /// <exception cref="InvalidOperationException">The plugin was not built, or the first load failed.</exception>
    public static async Task<SwapRoot> CreateAsync(WarmUp warmUp, TimeSpan probation = default)
    {
        string output = LatencyPaths.PluginOutput;
        if (!File.Exists(System.IO.Path.Combine(output, "Hotswap.Benchmarks.Plugin.dll")))
        {
            throw new InvalidOperationException($"The benchmark plugin was not built: '{output}' has no Hotswap.Benchmarks.Plugin.dll.");
        }

        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hotswap-swaplatency-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        try
        {
            // Version ids are named after the publish time: two fixed clocks give the two folders
            // of one build output two names.
            var versions = new string[2];
            for (int i = 0; i < 2; i++)
            {
                var options = new PublishOptions { Activate = i == 0, TimeProvider = new FixedTime(new DateTimeOffset(2020, 1, 1, 0, 0, i, TimeSpan.Zero)) };
                versions[i] = (await PluginPublisher.PublishAsync(output, path, PluginName, options).ConfigureAwait(false)).Version;
            }

            PluginHost host = PluginHost.Create(new PluginHostOptions
            {
                PluginsRoot = path,
                Watch = false,
                WriteStatus = false,
                Precompile = warmUp != WarmUp.Off,
                WarmUp = WarmUpModes.HostWarmUp(warmUp),
                Probation = probation,
            });
            ReloadResult first = await host.LoadAsync(WarmUpModes.Data(warmUp)).ConfigureAwait(false);
            first.EnsureSuccess();
            return new SwapRoot(path, versions, host, warmUp);
        }
        catch
        {
            Delete(path);
            throw;
        }
    }

    /// <summary>
    /// Flips <c>current</c> to the other version folder and reloads, on the calling thread; returns
    /// when the new version serves. The flip (which flushes the <c>current</c> file to disk) is not
    /// in the time returned.
    /// </summary>
    /// <returns>The reload's time, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</returns>
    /// <exception cref="InvalidOperationException">The reload failed or loaded no new version.</exception>
    public long Swap()
    {
        PluginPublisher.Activate(_path, PluginName, _versions[_next]);
        _next ^= 1;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        ReloadResult result = Host.ReloadAsync().GetAwaiter().GetResult();
        long elapsed = System.Diagnostics.Stopwatch.GetTimestamp() - start;
        result.EnsureSuccess();
        if (!result.Published || result.Plugins.Count(p => p.Outcome == ReloadOutcome.Loaded) != 1)
        {
            throw new InvalidOperationException($"The swap loaded no new version: {result}");
        }

        Swaps++;
        Interlocked.Increment(ref _pendingUnloads);
        return elapsed;
    }

    /// <summary>Flips <c>current</c> to one of the two version folders, then reloads; returns the reload's result.</summary>
    /// <param name="index">0 for the first version folder (the one loaded first), 1 for the second.</param>
    /// <returns>The result.</returns>
    public ReloadResult FlipAndReload(int index)
    {
        PluginPublisher.Activate(_path, PluginName, _versions[index]);
        return Host.ReloadAsync().GetAwaiter().GetResult();
    }

    /// <summary>Counts one more version that will retire and be unloaded (for <see cref="WaitForUnloads"/>).</summary>
    public void ExpectUnload() => Interlocked.Increment(ref _pendingUnloads);

    /// <summary>Waits until every version retired by a swap so far was unloaded.</summary>
    /// <exception cref="TimeoutException">A retired version was not unloaded within 30 s.</exception>
    /// <exception cref="InvalidOperationException">A retired version is stuck.</exception>
    public void WaitForUnloads()
    {
        while (Volatile.Read(ref _pendingUnloads) > 0)
        {
            if (!_unloaded.Wait(s_unloadWait))
            {
                throw new TimeoutException($"{_pendingUnloads} retired version(s) not unloaded within {s_unloadWait.TotalSeconds} s.");
            }

            Interlocked.Decrement(ref _pendingUnloads);
            if (Volatile.Read(ref _stuck) is { } stuck)
            {
                throw new InvalidOperationException($"A retired version is stuck: {stuck}");
            }
        }
    }

    /// <summary>Stops the host (waiting for its versions to be freed) and deletes the plugins root.</summary>
    public void Dispose()
    {
        Host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _unloaded.Dispose();
        Delete(_path);
    }

    private static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"swap-latency: could not delete the plugins root {path}: {ex.Message}");
        }
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
