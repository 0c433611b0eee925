using System.Diagnostics;
using Hotswap.Soak.Contracts;

namespace Hotswap.Soak;

/// <summary>
/// One calling thread: calls the plugins in a fixed cycle of operations until stopped, and checks
/// each answer.
/// </summary>
/// <remarks>
/// <para>The cycle, per plugin, in 16 steps:</para>
/// <list type="bullet">
/// <item>8 bursts of 32 synchronous calls through the proxy;</item>
/// <item>2 <c>host.Invoke(name, lambda, state)</c>, each making two calls in its one lease;</item>
/// <item>2 <c>host.Acquire()</c> leases, each making two calls through the generation, with a <c>Thread.Yield()</c> between them;</item>
/// <item>2 proxy calls that span an <c>await Task.Yield()</c> in the plugin;</item>
/// <item>1 lease held across an <c>await Task.Yield()</c> in this process, one call before it and one after;</item>
/// <item>1 proxy call that spans an <c>await Task.Delay(1)</c> in the plugin, so that calls are often in flight across a reload.</item>
/// </list>
/// <para>
/// Checks: two calls in one lease, and the start and end of one call, see the same version; every
/// answer comes from the plugin called, from the build its version folder was published from, from
/// a version not freed yet, and from a generation no earlier in the <see cref="SwitchTimeline"/>
/// than one this thread already saw, nor than the switch that had returned before the call began
/// (a call leases the generation serving when it starts, and the switches only move forward: a
/// rollback is a switch forward to the generation kept, not a step back in the list).
/// </para>
/// </remarks>
internal sealed class Caller
{
    private const int ProxyBurst = 32;

    // One cycle per plugin; each Proxy step is a burst of ProxyBurst calls.
    private static readonly OperationKind[] s_cycle =
    [
        OperationKind.Proxy, OperationKind.Proxy, OperationKind.Proxy, OperationKind.Proxy,
        OperationKind.Proxy, OperationKind.Proxy, OperationKind.Proxy, OperationKind.Proxy,
        OperationKind.LambdaPair, OperationKind.LambdaPair,
        OperationKind.LeasePair, OperationKind.LeasePair,
        OperationKind.AsyncProxy, OperationKind.AsyncProxy,
        OperationKind.AsyncLeasePair,
        OperationKind.DelayedAsyncProxy,
    ];

    private readonly PluginHost _host;
    private readonly SoakRoot _root;
    private readonly ISoakProbe[] _proxies;
    private readonly ProblemLog _problems;
    private readonly SwitchTimeline _timeline;
    private readonly int[] _position;
    private readonly Thread? _thread;
    private volatile bool _stopping;
    private CallStats _stats = new();
    private long _step;
    private int _floor;

    /// <summary>Creates a caller; <see cref="Start"/> starts its thread, or <see cref="RunCycle"/> runs one cycle on the current one.</summary>
    /// <param name="host">The host.</param>
    /// <param name="root">The plugins root: plugin names, and which build each version folder holds.</param>
    /// <param name="proxies">A proxy per plugin, in the root's order.</param>
    /// <param name="problems">Where the first problems go.</param>
    /// <param name="timeline">The generations the host was switched to, in order.</param>
    /// <param name="name">The thread's name, or <see langword="null"/> for a caller that never starts a thread.</param>
    public Caller(PluginHost host, SoakRoot root, ISoakProbe[] proxies, ProblemLog problems, SwitchTimeline timeline, string? name)
    {
        _host = host;
        _root = root;
        _proxies = proxies;
        _problems = problems;
        _timeline = timeline;
        _position = new int[proxies.Length];
        if (name is not null)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = name };
        }
    }

    /// <summary>Gets or sets where this caller counts what it does and sees; replaced to start a new phase of the run.</summary>
    /// <remarks>An operation running when it is replaced is counted in the old or the new one.</remarks>
    public CallStats Stats
    {
        get => Volatile.Read(ref _stats);
        set => Volatile.Write(ref _stats, value);
    }

    /// <summary>Starts the thread.</summary>
    public void Start() => _thread!.Start(); // only callers created with a name start

    /// <summary>Asks the thread to stop after its current operation.</summary>
    public void Stop() => _stopping = true;

    /// <summary>Waits until the thread has stopped.</summary>
    public void Join() => _thread?.Join();

    /// <summary>Runs one whole cycle for every plugin on the current thread (the warm-up).</summary>
    public void RunCycle()
    {
        for (int i = 0; i < s_cycle.Length * _proxies.Length; i++)
        {
            Step();
        }
    }

    private void Run()
    {
        while (!_stopping)
        {
            Step();
        }
    }

    private void Step()
    {
        long step = _step++;
        int plugin = (int)(step / s_cycle.Length % _proxies.Length);
        OperationKind kind = s_cycle[step % s_cycle.Length];
        int times = kind == OperationKind.Proxy ? ProxyBurst : 1;
        for (int i = 0; i < times; i++)
        {
            Run(kind, plugin);
        }
    }

    private void Run(OperationKind kind, int plugin)
    {
        CallStats stats = Stats;
        string name = _root.Names[plugin];
        _floor = _timeline.Confirmed; // read before the operation leases anything
        long started = Stopwatch.GetTimestamp();
        try
        {
            switch (kind)
            {
                case OperationKind.Proxy:
                    ProxyCall(stats, plugin);
                    break;
                case OperationKind.LambdaPair:
                    LambdaPair(stats, plugin, name);
                    break;
                case OperationKind.LeasePair:
                    LeasePair(stats, plugin, name);
                    break;
                case OperationKind.AsyncProxy:
                    AsyncProxyCall(stats, plugin, delayMilliseconds: 0);
                    break;
                case OperationKind.AsyncLeasePair:
                    AsyncLeasePair(stats, plugin, name);
                    break;
                default:
                    AsyncProxyCall(stats, plugin, delayMilliseconds: 1);
                    break;
            }
        }
#pragma warning disable CA1031 // Isolation boundary: any exception from a call is what the soak counts.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            stats.Failed++;
            _problems.Add("failed call", $"({Describe(kind)}, {name}): {ex.GetType().Name}: {ex.Message}");
        }

        stats.Count(kind, kind is OperationKind.LambdaPair or OperationKind.LeasePair or OperationKind.AsyncLeasePair ? 2 : 1, Stopwatch.GetTimestamp() - started);
    }

    /// <summary>Says what an operation is, in a report.</summary>
    /// <param name="kind">The operation.</param>
    /// <returns>A few words.</returns>
    public static string Describe(OperationKind kind) => kind switch
    {
        OperationKind.Proxy => "proxy call",
        OperationKind.LambdaPair => "lambda Invoke, two calls",
        OperationKind.LeasePair => "lease, two calls",
        OperationKind.AsyncProxy => "async proxy call",
        OperationKind.AsyncLeasePair => "lease across an await",
        _ => "async proxy call, 1 ms delay",
    };

    private void ProxyCall(CallStats stats, int plugin)
    {
        ProbeIdentity id = _proxies[plugin].Identify();
        CheckCall(stats, plugin, Describe(OperationKind.Proxy), id);
    }

    private void LambdaPair(CallStats stats, int plugin, string name)
    {
        (ProbeIdentity first, ProbeIdentity second) = _host.Invoke(name, static (ISoakProbe probe, int _) => (probe.Identify(), probe.Identify()), 0);
        CheckPair(stats, plugin, Describe(OperationKind.LambdaPair), first, second, listed: null, generation: null);
    }

    private void LeasePair(CallStats stats, int plugin, string name)
    {
        using GenerationLease lease = _host.Acquire();
        Generation generation = lease.Generation;
        ProbeIdentity first = generation.GetExport<ISoakProbe>(name).Identify();
        Thread.Yield();
        ProbeIdentity second = generation.GetExport<ISoakProbe>(name).Identify();
        CheckPair(stats, plugin, Describe(OperationKind.LeasePair), first, second, Listed(generation, name), generation.Number);
    }

    private void AsyncProxyCall(CallStats stats, int plugin, int delayMilliseconds)
    {
        // A dedicated thread may block: the continuation runs on the thread pool.
        ProbeSpan span = _proxies[plugin].SpanAsync(delayMilliseconds).GetAwaiter().GetResult();
        string what = Describe(delayMilliseconds == 0 ? OperationKind.AsyncProxy : OperationKind.DelayedAsyncProxy);
        if (!span.Start.SameVersion(span.End))
        {
            stats.Mixed++;
            _problems.Add("mixed", $"{what}: started in {span.Start}, ended in {span.End}.");
        }

        // One call, one count: the end is checked only when the start passed.
        if (!CheckCall(stats, plugin, what, span.Start))
        {
            return;
        }

        if (span.End.Freed)
        {
            stats.Stale++;
            _problems.Add("stale", $"{what}: ended in {span.End}, after its OnFreeAsync.");
        }
    }

    private void AsyncLeasePair(CallStats stats, int plugin, string name)
    {
        (ProbeIdentity first, ProbeIdentity second, string? listed, long generation) = LeaseAcrossAwaitAsync(_host, name).GetAwaiter().GetResult();
        CheckPair(stats, plugin, Describe(OperationKind.AsyncLeasePair), first, second, listed, generation);
    }

    /// <summary>Holds one lease across an await; returns only identities and strings, so the state machine keeps no plugin object past it.</summary>
    private static async Task<(ProbeIdentity First, ProbeIdentity Second, string? Listed, long Generation)> LeaseAcrossAwaitAsync(PluginHost host, string name)
    {
        using GenerationLease lease = host.Acquire();
        ProbeIdentity first = lease.Generation.GetExport<ISoakProbe>(name).Identify();
        await Task.Yield();
        ProbeIdentity second = lease.Generation.GetExport<ISoakProbe>(name).Identify();
        return (first, second, Listed(lease.Generation, name), lease.Generation.Number);
    }

    private static string? Listed(Generation generation, string name)
    {
        foreach (PluginVersionInfo info in generation.Plugins)
        {
            if (string.Equals(info.PluginName, name, StringComparison.OrdinalIgnoreCase))
            {
                return info.Version;
            }
        }

        return null;
    }

    /// <summary>Two calls in one lease: the same version, the one the generation lists, initialized no later than the generation; then each call's own checks.</summary>
    private void CheckPair(CallStats stats, int plugin, string what, ProbeIdentity first, ProbeIdentity second, string? listed, long? generation)
    {
        if (!first.SameVersion(second))
        {
            stats.Mixed++;
            _problems.Add("mixed", $"{what}: first call in {first}, second in {second}.");
        }
        else if (generation is { } number && (listed != first.Version || first.Generation > number))
        {
            stats.Mixed++;
            _problems.Add("mixed", $"{what}: the lease's generation {number} lists version {listed ?? "(none)"}, its export answered as {first}.");
        }

        CheckCall(stats, plugin, what, first);
        CheckCall(stats, plugin, what, second);
    }

    /// <summary>One call's answer: the plugin called, the build of its version folder, not freed, and no earlier in the timeline than this thread has seen or than the switch confirmed when the operation began.</summary>
    /// <returns>Whether the answer passed.</returns>
    private bool CheckCall(CallStats stats, int plugin, string what, ProbeIdentity id)
    {
        string? problem = null;
        int build = _root.BuildOf(id.Plugin, id.Version);
        int from = Math.Max(_position[plugin], _floor);
        int at = _timeline.IndexOf(id.Generation, from);
        if (!string.Equals(id.Plugin, _root.Names[plugin], StringComparison.OrdinalIgnoreCase))
        {
            problem = $"called {_root.Names[plugin]}, answered by {id}";
        }
        else if (build != id.Build)
        {
            problem = build == 0
                ? $"answered by {id}, a version this soak never published"
                : $"answered by {id}, but that version folder holds build {build}";
        }
        else if (id.Freed)
        {
            problem = $"answered by {id}, after its OnFreeAsync";
        }
        else if (at < 0)
        {
            int earlier = _timeline.LastIndexOf(id.Generation, from);
            problem = $"answered by {id}, {(earlier < 0 ? "a generation the host was never switched to" : $"which served at switch {earlier}")}, after this thread had already been answered from generation {_timeline[_position[plugin]]} (switch {_position[plugin]}) and the host had switched to generation {_timeline[_floor]} (switch {_floor}) before the call began";
        }
        else
        {
            _position[plugin] = at;
            return true;
        }

        stats.Stale++;
        _problems.Add("stale", $"{what}: {problem}.");
        return false;
    }
}
