using System.Collections.Concurrent;
using Hotswap;

namespace TestContracts;

/// <summary>A queued job: the name of a live function or live type, and its data. Holds no plugin type.</summary>
public sealed record Job(string Kind, string Name, LiveData Data)
{
    public const string FunctionKind = "function";
    public const string TypeKind = "type";
}

/// <summary>The host's job queue: plugins produce into it, the host drains it on the current generation.</summary>
public sealed class JobQueue
{
    private readonly ConcurrentQueue<Job> _jobs = new();

    public int Count => _jobs.Count;

    public void Enqueue(Job job) => _jobs.Enqueue(job);

    public bool TryDequeue(out Job job) => _jobs.TryDequeue(out job!);
}

/// <summary>What a live type job handler implements.</summary>
public interface IJobHandler
{
    string Handle(LiveData data);
}

/// <summary>The host's vault extension in the tests: plugins register what they bring in OnInitAsync.</summary>
public sealed class VaultExtension
{
    private readonly ConcurrentDictionary<string, string> _contributions = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Contributions => _contributions;

    public void Register(string plugin, string value) => _contributions[plugin] = value;
}
