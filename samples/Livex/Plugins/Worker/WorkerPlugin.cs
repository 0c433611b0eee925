using Hotswap;
using Livex.Contracts;

[assembly: HotswapPlugin(typeof(Worker.WorkerPlugin))]

namespace Worker;

/// <summary>Produces jobs as live function or live type names plus LiveData; its live members handle them.</summary>
public sealed class WorkerPlugin : Plugin
{
#if DEMO_V2
    internal const string Version = "v2";
#else
    internal const string Version = "v1";
#endif

    public override object? Invoke(string name, params object?[] args) => name switch
    {
        "ping" => $"{Version}:pong",
        "produce" => Produce((JobQueue)args[0]!, (int)args[1]!, "queued"),
        "produceLate" => ProduceLateAsync((JobQueue)args[0]!, (int)args[1]!, (Task)args[2]!),
        _ => null,
    };

    /// <summary>Version 1's code that is still running after the swap, and enqueues then.</summary>
    private static async Task<int> ProduceLateAsync(JobQueue queue, int count, Task after)
    {
        await after.ConfigureAwait(false);
        return Produce(queue, count, "late");
    }

    private static int Produce(JobQueue queue, int count, string when)
    {
        for (int i = 0; i < count; i++)
        {
            var order = new Order { Id = i, Quantity = i + 1, Note = $"{when} by {Version}" };
            queue.Enqueue(i % 2 == 0
                ? new Job("function", "order.total", LiveData.Create(order))
                : new Job("type", "order.label", LiveData.Create(order)));
        }

        return count;
    }

    [LiveFunction("order.total")]
    public static string Total(LiveData data)
    {
        Order order = data.To<Order>()!;
        return $"{Version} totalled order {order.Id} ({order.Note}): {order.Quantity * Order.Price}";
    }
}

/// <summary>The job data. Version 2 changes the price: its own type, rebuilt from v1's JSON.</summary>
public sealed class Order
{
#if DEMO_V2
    public const int Price = 12;
#else
    public const int Price = 10;
#endif

    public int Id { get; set; }

    public int Quantity { get; set; }

    public string Note { get; set; } = "";
}

[LiveType("order.label")]
public sealed class LabelJob : IJobHandler
{
    public string Handle(LiveData data) => $"{WorkerPlugin.Version} labelled order {data.To<Order>()!.Id}";
}
