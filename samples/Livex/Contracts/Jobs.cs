using System.Collections.Concurrent;
using Hotswap;

namespace Livex.Contracts;

/// <summary>A queued job: the name of a live function or a live type, and its data. No plugin type inside.</summary>
public sealed record Job(string Kind, string Name, LiveData Data);

/// <summary>The host's queue. Plugins enqueue; the host drains on whatever generation is current.</summary>
public sealed class JobQueue
{
    private readonly ConcurrentQueue<Job> _jobs = new();

    public int Count => _jobs.Count;

    public void Enqueue(Job job) => _jobs.Enqueue(job);

    public bool TryDequeue(out Job job) => _jobs.TryDequeue(out job!);
}

public interface IJobHandler
{
    string Handle(LiveData data);
}
