using Hotswap;
using TestContracts;

[assembly: HotswapPlugin(typeof(Worker.WorkerPlugin))]

namespace Worker;

/// <summary>Produces jobs into the host's queue; its live function and live type handle them.</summary>
public sealed class WorkerPlugin : Plugin
{
#if WORKER_V2
    internal const string Tag = "v2";
#else
    internal const string Tag = "v1";
#endif

    public override object? Invoke(string name, params object?[] args)
    {
        if (name != "produce")
        {
            return null;
        }

        var queue = (JobQueue)args[0]!;
        int count = (int)args[1]!;
        for (int i = 0; i < count; i++)
        {
            var payload = new Payload { Id = i, Value = i, Who = $"user{i}" };
            queue.Enqueue(i % 2 == 0
                ? new Job(Job.FunctionKind, "job.square", LiveData.Create(payload))
                : new Job(Job.TypeKind, "job.greet", LiveData.Create(payload)));
        }

        return Tag;
    }

    [LiveFunction("job.square")]
    public static string Square(LiveData data)
    {
        Payload payload = data.To<Payload>()!;
#if WORKER_V2
        return $"{Tag} squared {payload.Id}: {payload.Value * payload.Value} ({payload.Note})";
#else
        return $"{Tag} squared {payload.Id}: {payload.Value * payload.Value} ({payload.Legacy})";
#endif
    }
}

/// <summary>The job data. Version 2 adds a member and drops one; version 1's data still unwraps into it.</summary>
public sealed class Payload
{
    public int Id { get; set; }

    public int Value { get; set; }

    public string Who { get; set; } = "";
#if WORKER_V2

    public string Note { get; set; } = "no note";
#else

    public string Legacy { get; set; } = "only in v1";
#endif
}

[LiveType("job.greet")]
public sealed class GreetJob : IJobHandler
{
    public string Handle(LiveData data) => $"{WorkerPlugin.Tag} greeted {data.To<Payload>()!.Who}";
}
