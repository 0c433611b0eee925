using System.Runtime.CompilerServices;

namespace Hotswap;

/// <summary>
/// Proves that unloaded contexts were collected: checks each weak reference on a background loop
/// until it dies, or reports the version stuck once the timeout has passed.
/// </summary>
/// <remarks>
/// <para>
/// One loop serves every pending unload, so a burst of retirements costs one collection per round,
/// not one per version. The loop runs only while something is pending, and never on a caller's or
/// a reload's thread.
/// </para>
/// <para>
/// <b>Bounded cost.</b> A collectible context needs a few full collections, with finalization
/// between them, to go. The loop forces at most <see cref="PluginHostOptions.UnloadForcedCollections"/>
/// blocking collections per burst of work (a few at once, then with doubling pauses); after that it
/// only looks, at the longest pause, whether the runtime's own collections took the context, and
/// forces one last collection before it reports a version stuck.
/// </para>
/// <para>
/// <b>Never stalled by a finalizer.</b> One blocked finalizer anywhere in the process would stop
/// <see cref="GC.WaitForPendingFinalizers"/> forever. The wait runs on a pool thread, bounded on the
/// wall clock; while it has not returned, no new wait starts, the loop goes on, and a version
/// reported stuck says that the finalizer thread is blocked.
/// </para>
/// </remarks>
internal sealed class UnloadWatchdog
{
    private const int ImmediateRounds = 3;
    private static readonly TimeSpan s_firstDelay = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan s_maxDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan s_finalizerWait = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly int _forcedCollections;
    private readonly Action<PluginVersionInfo, TimeSpan, int> _unloaded;
    private readonly Action<IReadOnlyList<StuckFinding>> _stuck;
    private readonly Lock _gate = new();
    private readonly List<Entry> _pending = [];
    private readonly List<StuckFinding> _leaked = [];
    private Task _finalizers = Task.CompletedTask;
    private bool _running;
    private int _added;

    /// <param name="time">The host's clock.</param>
    /// <param name="timeout">How long a context may live after <c>Unload()</c>.</param>
    /// <param name="forcedCollections">The bound on forced collections per burst.</param>
    /// <param name="unloaded">Reports a version collected.</param>
    /// <param name="stuck">Reports the versions found stuck in one round, together (so that one diagnosis can serve them all).</param>
    public UnloadWatchdog(TimeProvider time, TimeSpan timeout, int forcedCollections, Action<PluginVersionInfo, TimeSpan, int> unloaded, Action<IReadOnlyList<StuckFinding>> stuck)
    {
        _time = time;
        _timeout = timeout;
        _forcedCollections = forcedCollections;
        _unloaded = unloaded;
        _stuck = stuck;
    }

    /// <summary>
    /// Gets the versions reported stuck whose context is still alive (or unknown, for a static
    /// plugin), with the cause each was reported with; a version found stuck and not reported yet
    /// (being diagnosed) is not listed.
    /// </summary>
    public IReadOnlyList<StuckReport> StuckReports
    {
        get
        {
            lock (_gate)
            {
                _leaked.RemoveAll(static f => f.Collected);
                var reports = new List<StuckReport>(_leaked.Count);
                foreach (StuckFinding finding in _leaked)
                {
                    if (finding.Reported is { } cause)
                    {
                        reports.Add(new StuckReport(finding.Version, cause));
                    }
                }

                return reports;
            }
        }
    }

    /// <summary>Watches a context whose <c>Unload()</c> was called.</summary>
    /// <param name="version">The version.</param>
    /// <param name="context">A weak reference to its load context.</param>
    /// <param name="knownProblem">What already went wrong while freeing it, for the stuck report; or <see langword="null"/>.</param>
    public void Watch(PluginVersionInfo version, WeakReference context, string? knownProblem)
    {
        lock (_gate)
        {
            _pending.Add(new Entry(version, context, _time.GetTimestamp(), knownProblem));
            _added++;
            if (_running)
            {
                return;
            }

            _running = true;
        }

        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(LoopAsync);
        }
    }

    /// <summary>Lists a version as stuck now, without waiting for the timeout: its <c>OnFreeAsync</c> never returned.</summary>
    /// <param name="version">The version.</param>
    /// <param name="context">A weak reference to its load context, or <see langword="null"/> for a static plugin.</param>
    /// <param name="elapsed">How long it has waited.</param>
    /// <param name="cause">What is known.</param>
    /// <returns>The finding, kept until the context dies, for the host to report.</returns>
    public StuckFinding MarkStuck(PluginVersionInfo version, WeakReference? context, TimeSpan elapsed, string cause)
    {
        var finding = new StuckFinding(version, elapsed, cause, context, collections: 0);
        lock (_gate)
        {
            _leaked.Add(finding);
        }

        return finding;
    }

    private async Task LoopAsync()
    {
        int round = 0;
        int forced = 0;
        int seen = 0;
        TimeSpan delay = s_firstDelay;
        while (true)
        {
            bool finalStep;
            lock (_gate)
            {
                if (_added != seen)
                {
                    // New work arrived: check it as eagerly as the first, with a fresh budget.
                    seen = _added;
                    round = 0;
                    forced = 0;
                    delay = s_firstDelay;
                }

                // Once the budget is spent, collections are forced only for an entry about to be reported.
                finalStep = _pending.Exists(e => _time.GetElapsedTime(e.Started) >= _timeout);
            }

            bool finalizersBlocked = false;
            if (forced < _forcedCollections || finalStep)
            {
                forced++;
                finalizersBlocked = !await CollectAsync().ConfigureAwait(false);
            }

            var collected = new List<Entry>();
            var stuck = new List<StuckFinding>();
            bool done;
            lock (_gate)
            {
                foreach (Entry entry in _pending)
                {
                    entry.Collections = forced;
                    if (entry.Context is { IsAlive: false })
                    {
                        collected.Add(entry);
                    }
                    else if (_time.GetElapsedTime(entry.Started) >= _timeout)
                    {
                        string known = finalizersBlocked ? SR.FinalizerBlocked + entry.KnownProblem : entry.KnownProblem ?? "";
                        TimeSpan elapsed = _time.GetElapsedTime(entry.Started);
                        var finding = new StuckFinding(entry.Version, elapsed, SR.NotCollected(entry.Version, elapsed, entry.Collections, known), entry.Context, entry.Collections);
                        entry.Found = true;
                        stuck.Add(finding);
                        _leaked.Add(finding);
                    }
                }

                _pending.RemoveAll(e => e.Found || collected.Contains(e));
                done = _pending.Count == 0;
                if (done)
                {
                    _running = false;
                }
            }

            foreach (Entry entry in collected)
            {
                _unloaded(entry.Version, _time.GetElapsedTime(entry.Started), entry.Collections);
            }

            if (stuck.Count > 0)
            {
                _stuck(stuck);
            }

            if (done)
            {
                return;
            }

            if (++round >= ImmediateRounds)
            {
                await Task.Delay(forced < _forcedCollections ? delay : s_maxDelay, _time).ConfigureAwait(false);
                delay = delay * 2 < s_maxDelay ? delay * 2 : s_maxDelay;
            }
        }
    }

    /// <summary>Forces a full collection, lets finalizers run (bounded), and collects again. Returns <see langword="false"/> when the finalizer thread is blocked.</summary>
    private async Task<bool> CollectAsync()
    {
        Collect();
        if (_finalizers.IsCompleted)
        {
            // A blocked finalizer would block this wait forever: it runs on a task of its own, and
            // no second one starts until it returns.
            // On a pool thread, not a thread of its own: the wait is short when nothing blocks the
            // finalizer thread, and a dedicated thread per round cost a thread's start (and a
            // thread in the process's count) for every collection. A finalizer that blocks keeps
            // one pool thread waiting, as it kept the dedicated one, and no second wait starts.
            _finalizers = Task.Run(GC.WaitForPendingFinalizers);
        }

        try
        {
            // Bounded on the wall clock, not the host's: this waits for the runtime's finalizer
            // thread, which a test clock (or a paused one) does not drive.
            await _finalizers.WaitAsync(s_finalizerWait, TimeProvider.System).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }

        Collect();
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Collect() => GC.Collect();

    private sealed class Entry(PluginVersionInfo version, WeakReference? context, long started, string? knownProblem)
    {
        public PluginVersionInfo Version { get; } = version;

        public WeakReference? Context { get; } = context;

        public long Started { get; } = started;

        public string? KnownProblem { get; } = knownProblem;

        public int Collections { get; set; }

        public bool Found { get; set; }
    }
}
