using System.Runtime.CompilerServices;

namespace Hotswap;

/// <summary>
/// Proves that unloaded contexts were collected: forces collections on a background loop until
/// each weak reference dies, or reports the version stuck once the timeout has passed.
/// </summary>
/// <remarks>
/// One loop serves every pending unload, so a burst of retirements costs one collection per round,
/// not one per version. The loop runs only while something is pending, and never on a caller's
/// or a reload's thread.
/// </remarks>
internal sealed class UnloadWatchdog
{
    private const int ImmediateRounds = 3;
    private static readonly TimeSpan s_firstDelay = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan s_maxDelay = TimeSpan.FromMilliseconds(500);

    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly Action<PluginVersionInfo, TimeSpan, int> _unloaded;
    private readonly Action<PluginVersionInfo, TimeSpan, string> _stuck;
    private readonly Lock _gate = new();
    private readonly List<Entry> _pending = [];
    private readonly List<Entry> _leaked = [];
    private bool _running;
    private int _added;

    public UnloadWatchdog(TimeProvider time, TimeSpan timeout, Action<PluginVersionInfo, TimeSpan, int> unloaded, Action<PluginVersionInfo, TimeSpan, string> stuck)
    {
        _time = time;
        _timeout = timeout;
        _unloaded = unloaded;
        _stuck = stuck;
    }

    public IReadOnlyList<PluginVersionInfo> StuckVersions
    {
        get
        {
            lock (_gate)
            {
                _leaked.RemoveAll(static e => !e.Context.IsAlive);
                return [.. _leaked.Select(static e => e.Version)];
            }
        }
    }

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

    private async Task LoopAsync()
    {
        int round = 0;
        int seen = 0;
        TimeSpan delay = s_firstDelay;
        while (true)
        {
            Collect();
            var collected = new List<Entry>();
            var stuck = new List<Entry>();
            bool done;
            lock (_gate)
            {
                if (_added != seen)
                {
                    // New work arrived: check it as eagerly as the first.
                    seen = _added;
                    round = 0;
                    delay = s_firstDelay;
                }

                foreach (Entry entry in _pending)
                {
                    entry.Collections++;
                    if (!entry.Context.IsAlive)
                    {
                        collected.Add(entry);
                    }
                    else if (_time.GetElapsedTime(entry.Started) >= _timeout)
                    {
                        stuck.Add(entry);
                        _leaked.Add(entry);
                    }
                }

                _pending.RemoveAll(e => collected.Contains(e) || stuck.Contains(e));
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

            foreach (Entry entry in stuck)
            {
                _stuck(entry.Version, _time.GetElapsedTime(entry.Started), SR.NotCollected(entry.Version, _time.GetElapsedTime(entry.Started), entry.Collections, entry.KnownProblem));
            }

            if (done)
            {
                return;
            }

            if (++round >= ImmediateRounds)
            {
                await Task.Delay(delay, _time).ConfigureAwait(false);
                delay = delay * 2 < s_maxDelay ? delay * 2 : s_maxDelay;
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private sealed class Entry(PluginVersionInfo version, WeakReference context, long started, string? knownProblem)
    {
        public PluginVersionInfo Version { get; } = version;

        public WeakReference Context { get; } = context;

        public long Started { get; } = started;

        public string? KnownProblem { get; } = knownProblem;

        public int Collections { get; set; }
    }
}
