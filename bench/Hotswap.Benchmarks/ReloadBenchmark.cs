using BenchmarkDotNet.Attributes;

namespace Hotswap.Benchmarks;

/// <summary>
/// The cost of a reload: one changed plugin alone, one changed plugin among 20, nothing changed
/// among 20, and the first load of 20 plugins.
/// </summary>
/// <remarks>
/// <para>
/// One reload per iteration (<c>InvocationCount(1)</c>), so the Median column is the median of
/// single reloads. A reload returns before the version it replaced is unloaded: that happens in
/// the background, with forced collections. Each iteration's setup (or, for the first load,
/// cleanup) waits, unmeasured, until the versions retired by the previous iteration were
/// unloaded, as they would be between two deployments of a real server; otherwise each reload
/// would also pay for the previous one's collections.
/// </para>
/// <para>
/// The changed-plugin reloads flip <c>current</c> between two version folders published from the
/// same build output, so each reload loads a new version. The flip happens in the iteration
/// setup, unmeasured: <see cref="PluginPublisher.Activate"/> flushes the new <c>current</c> file
/// to disk, which costs what the disk costs (milliseconds on some virtual disks), not what
/// Hotswap costs.
/// </para>
/// </remarks>
[InvocationCount(1)]
[MinWarmupCount(2)]
[MaxWarmupCount(6)]
[MinIterationCount(20)]
[MaxIterationCount(50)]
[MedianColumn]
public class ReloadBenchmark
{
    /// <summary>The plugins in the larger roots.</summary>
    public const int Plugins = 20;

    private static readonly TimeSpan s_unloadWait = TimeSpan.FromSeconds(30);

    private PluginRoot? _root;

    /// <summary>Gets or sets a value indicating whether every version is signed and the host trusts the key (<see cref="PluginHostOptions.TrustedKeys"/>): what signature checking adds.</summary>
    [Params(false, true)]
    public bool Signed { get; set; }
    private PluginHost? _host;
    private UnloadTracker? _unloads;
    private string _changing = "";
    private string[] _versions = [];
    private int _next;

    /// <summary>One plugin, "calc", published twice; the first version loaded.</summary>
    [GlobalSetup(Target = nameof(ReloadOneChanged))]
    public void SetupOne()
    {
        _root = PluginRoot.Create(Signed);
        _changing = "calc";
        _versions = [_root.Publish(_changing), _root.Publish(_changing, activate: false)];
        _next = 1;
        Start(_root.LoadHost());
    }

    /// <summary>20 plugins, p00 to p19, each published once, p00 twice; all loaded.</summary>
    [GlobalSetup(Targets = [nameof(ReloadOneChangedAmong20), nameof(ReloadNothingChanged)])]
    public void SetupTwenty()
    {
        _root = PublishTwenty(Signed, out string first);
        _changing = Name(0);
        _versions = [first, _root.Publish(_changing, activate: false)];
        _next = 1;
        Start(_root.LoadHost());
    }

    /// <summary>20 plugins, p00 to p19, each published once; no host yet.</summary>
    [GlobalSetup(Target = nameof(FirstLoadOf20))]
    public void SetupFirstLoad() => _root = PublishTwenty(Signed, out _);

    /// <summary>
    /// Unmeasured: waits until the version the previous iteration retired was unloaded, then flips
    /// <c>current</c> of the changing plugin to its other version.
    /// </summary>
    [IterationSetup(Targets = [nameof(ReloadOneChanged), nameof(ReloadOneChangedAmong20)])]
    public void WaitAndFlip()
    {
        _unloads!.WaitAll();
        _root!.Activate(_changing, _versions[_next]);
        _next ^= 1;
    }

    /// <summary>Creates, unmeasured, the host whose first load is measured.</summary>
    [IterationSetup(Target = nameof(FirstLoadOf20))]
    public void CreateHost() => Start(_root!.CreateHost());

    /// <summary>Stops the host of the first load and waits until its versions were unloaded.</summary>
    [IterationCleanup(Target = nameof(FirstLoadOf20))]
    public void StopHost() => Stop(waitForUnloads: true);

    /// <summary>Stops the host and deletes the plugins root.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        Stop(waitForUnloads: false);
        _root?.Dispose();
    }

    /// <summary>One plugin, changed (its <c>current</c> flipped by the iteration setup): reloads it.</summary>
    /// <returns>A task that completes when the new version serves.</returns>
    [Benchmark]
    public Task ReloadOneChanged() => ReloadChangedAsync();

    /// <summary>20 plugins, p00 changed (its <c>current</c> flipped by the iteration setup): reloads; the other 19 are carried over.</summary>
    /// <returns>A task that completes when the new version serves.</returns>
    [Benchmark]
    public Task ReloadOneChangedAmong20() => ReloadChangedAsync();

    /// <summary>20 plugins, nothing changed: a reload that finds nothing to do.</summary>
    /// <returns>A task that completes when the reload is over.</returns>
    [Benchmark(Baseline = true)]
    public async Task ReloadNothingChanged() => Expect(await _host!.ReloadAsync(), loaded: 0);

    /// <summary>The first load of 20 plugins by a new host.</summary>
    /// <returns>A task that completes when the 20 plugins serve.</returns>
    [Benchmark]
    public async Task FirstLoadOf20() => Expect(await _host!.LoadAsync(), loaded: Plugins);

    private static string Name(int i) => $"p{i:00}";

    private static void Expect(ReloadResult result, int loaded)
    {
        result.EnsureSuccess();
        int count = 0;
        foreach (PluginOutcome plugin in result.Plugins)
        {
            if (plugin.Outcome == ReloadOutcome.Loaded)
            {
                count++;
            }
        }

        if (count != loaded || result.Published != (loaded > 0))
        {
            throw new InvalidOperationException($"Expected {loaded} plugin(s) loaded, got: {result}");
        }
    }

    private static PluginRoot PublishTwenty(bool signed, out string firstVersion)
    {
        PluginRoot root = PluginRoot.Create(signed);
        firstVersion = root.Publish(Name(0));
        for (int i = 1; i < Plugins; i++)
        {
            root.Publish(Name(i));
        }

        return root;
    }

    private async Task ReloadChangedAsync()
    {
        Expect(await _host!.ReloadAsync(), loaded: 1);
        _unloads!.Expect(1);
    }

    private void Start(PluginHost host)
    {
        _host = host;
        _unloads = new UnloadTracker(host);
    }

    private void Stop(bool waitForUnloads)
    {
        if (_host is null)
        {
            return;
        }

        // A host whose load did not run (an iteration that failed first) has nothing to unload.
        int serving = _host.GenerationNumber == 0 ? 0 : Plugins;
        PluginRoot.Stop(_host);
        if (waitForUnloads)
        {
            // So the next first load does not pay for these versions' collections.
            _unloads!.Expect(serving);
            _unloads.WaitAll();
        }

        _unloads!.Dispose();
        _unloads = null;
        _host = null;
    }

    /// <summary>Counts the host's unloaded versions, so a setup can wait for those it expects.</summary>
    private sealed class UnloadTracker : IDisposable
    {
        private readonly PluginHost _host;
        private readonly SemaphoreSlim _unloaded = new(0);
        private string? _stuck;
        private int _pending;

        public UnloadTracker(PluginHost host)
        {
            _host = host;
            host.Unloaded += OnUnloaded;
            host.UnloadStuck += OnUnloadStuck;
        }

        /// <summary>Expects <paramref name="versions"/> more versions to be unloaded.</summary>
        public void Expect(int versions) => _pending += versions;

        /// <summary>Waits until every expected version was unloaded; throws if one is stuck.</summary>
        public void WaitAll()
        {
            while (_pending > 0)
            {
                if (!_unloaded.Wait(s_unloadWait))
                {
                    throw new TimeoutException($"{_pending} retired version(s) not unloaded within {s_unloadWait.TotalSeconds} s.");
                }

                _pending--;
                if (Volatile.Read(ref _stuck) is { } stuck)
                {
                    throw new InvalidOperationException($"A retired version is stuck: {stuck}");
                }
            }
        }

        public void Dispose()
        {
            _host.Unloaded -= OnUnloaded;
            _host.UnloadStuck -= OnUnloadStuck;
            _unloaded.Dispose();
        }

        private void OnUnloaded(object? sender, UnloadedEventArgs e) => _unloaded.Release();

        private void OnUnloadStuck(object? sender, UnloadStuckEventArgs e)
        {
            if (!e.StillDraining)
            {
                Volatile.Write(ref _stuck, $"{e.Version}: {e.Cause}");
                _unloaded.Release();
            }
        }
    }
}
