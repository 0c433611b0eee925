using Hotswap.Soak.Contracts;

namespace Hotswap.Soak.Probes;

/// <summary>
/// The exported probe. Every call counts itself in flight for as long as it runs; <see cref="Free"/>
/// (OnFreeAsync) marks the version freed. A call that overlaps or follows <see cref="Free"/> is
/// reported to the monitor, by the call or by <see cref="Free"/>, whichever comes second.
/// </summary>
/// <remarks>
/// A call increments the in-flight count (a full fence) and then reads the freed flag;
/// <see cref="Free"/> sets the flag (a full fence) and then reads the count. So when a call and
/// <see cref="Free"/> overlap, at least one of them sees the other: no overlap goes unreported.
/// </remarks>
internal sealed class SoakProbe(int build) : ISoakProbe
{
    private string _plugin = "";
    private string _version = "";
    private long _generation;
    private SoakMonitor? _monitor;
    private long _inFlight;
    private int _freed;

    public void Load(string plugin, string version, SoakMonitor? monitor)
    {
        _plugin = plugin;
        _version = version;
        _monitor = monitor;
    }

    public void Init(long generation) => Volatile.Write(ref _generation, generation);

    public void Free()
    {
        Interlocked.Exchange(ref _freed, 1);
        _monitor?.OnFreed($"{_plugin}@{_version}", Interlocked.Read(ref _inFlight));
    }

    public ProbeIdentity Identify()
    {
        Enter();
        try
        {
            return Snapshot();
        }
        finally
        {
            Leave(nameof(Identify));
        }
    }

    public async Task<ProbeSpan> SpanAsync(int delayMilliseconds)
    {
        Enter();
        try
        {
            ProbeIdentity start = Snapshot();
            if (delayMilliseconds <= 0)
            {
                await Task.Yield();
            }
            else
            {
                await Task.Delay(delayMilliseconds).ConfigureAwait(false);
            }

            return new ProbeSpan(start, Snapshot());
        }
        finally
        {
            Leave(nameof(SpanAsync));
        }
    }

    private ProbeIdentity Snapshot()
        => new(_plugin, _version, build, Volatile.Read(ref _generation), Volatile.Read(ref _freed) != 0);

    private void Enter() => Interlocked.Increment(ref _inFlight);

    private void Leave(string member)
    {
        if (Volatile.Read(ref _freed) != 0)
        {
            _monitor?.OnCallAfterFree($"{_plugin}@{_version}", member);
        }

        Interlocked.Decrement(ref _inFlight);
    }
}
