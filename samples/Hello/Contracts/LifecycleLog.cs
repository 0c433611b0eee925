using System.Collections.Concurrent;

namespace Hello.Contracts;

/// <summary>The host hands this to its plugins as load data; they write what happens to them into it.</summary>
public sealed class LifecycleLog
{
    private readonly ConcurrentQueue<string> _lines = new();
    private int _read;

    public void Add(string line) => _lines.Enqueue(line);

    /// <summary>The lines written since the last call.</summary>
    public IReadOnlyList<string> TakeNew()
    {
        string[] all = [.. _lines];
        int from = Interlocked.Exchange(ref _read, all.Length);
        return all[from..];
    }

    public IReadOnlyList<string> All => [.. _lines];
}
