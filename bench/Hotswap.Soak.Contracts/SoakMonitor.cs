namespace Hotswap.Soak.Contracts;

/// <summary>
/// Created by the soak runner and handed to every plugin version as the load data: each version
/// reports here when it is loaded and freed, and anything it saw go wrong. It holds only counts
/// and strings, never a plugin object, so it pins no version.
/// </summary>
public sealed class SoakMonitor
{
    private const int KeptProblems = 10;

    private readonly Lock _gate = new();
    private readonly List<string> _problems = [];
    private long _loaded;
    private long _freed;
    private long _freedWithCallsInFlight;
    private long _callsAfterFree;

    /// <summary>Gets how many versions ran <c>OnLoadAsync</c>.</summary>
    public long Loaded => Interlocked.Read(ref _loaded);

    /// <summary>Gets how many versions ran <c>OnFreeAsync</c>.</summary>
    public long Freed => Interlocked.Read(ref _freed);

    /// <summary>Gets how many versions ran <c>OnFreeAsync</c> while one of their calls was still running.</summary>
    public long FreedWithCallsInFlight => Interlocked.Read(ref _freedWithCallsInFlight);

    /// <summary>Gets how many calls ended in a version whose <c>OnFreeAsync</c> had already run.</summary>
    public long CallsAfterFree => Interlocked.Read(ref _callsAfterFree);

    /// <summary>Gets the first problems reported, as sentences.</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (_gate)
            {
                return [.. _problems];
            }
        }
    }

    /// <summary>A version ran <c>OnLoadAsync</c>.</summary>
    public void OnLoaded() => Interlocked.Increment(ref _loaded);

    /// <summary>A version ran <c>OnFreeAsync</c> with <paramref name="callsInFlight"/> of its calls still running.</summary>
    /// <param name="version">The version, as <c>plugin@version</c>.</param>
    /// <param name="callsInFlight">Its calls still running; 0 when the drain did its job.</param>
    public void OnFreed(string version, long callsInFlight)
    {
        Interlocked.Increment(ref _freed);
        if (callsInFlight != 0)
        {
            Interlocked.Increment(ref _freedWithCallsInFlight);
            Report($"{version}: OnFreeAsync ran with {callsInFlight} call(s) still running in it.");
        }
    }

    /// <summary>A call ended in a version whose <c>OnFreeAsync</c> had already run.</summary>
    /// <param name="version">The version, as <c>plugin@version</c>.</param>
    /// <param name="member">The member called.</param>
    public void OnCallAfterFree(string version, string member)
    {
        Interlocked.Increment(ref _callsAfterFree);
        Report($"{version}: {member} ran after OnFreeAsync.");
    }

    private void Report(string problem)
    {
        lock (_gate)
        {
            if (_problems.Count < KeptProblems)
            {
                _problems.Add(problem);
            }
        }
    }
}
