using System.Diagnostics.CodeAnalysis;
using Hotswap;
using TestContracts;

[assembly: HotswapPlugin(typeof(Shapes.ShapesPlugin))]

namespace Shapes;

/// <summary>Exports a <see cref="ShapesService"/> and records OnFree to the test's probe session.</summary>
public sealed class ShapesPlugin : Plugin
{
    private readonly PluginLocation _where = Probe.Locate(typeof(ShapesPlugin).Assembly);

    public override object? Export() => new ShapesService(_where);

    public override Task OnFreeAsync(CancellationToken cancellationToken)
    {
        _where.Record("OnFree");
        return Task.CompletedTask;
    }
}

public sealed class ShapesService(PluginLocation where) : IShapes
{
#if SHAPES_V2
    private const string Tag = "v2";
#else
    private const string Tag = "v1";
#endif

    private readonly string[] _items = ["zero", "one", "two"];

    public event EventHandler<string>? Changed;

    public string Version => Tag;

    public int Counter { get; set; }

    public string this[int index]
    {
        get => $"{Tag}:{_items[index]}";
        set => _items[index] = value;
    }

    public string Echo(string text) => $"{Tag}:{text}";

    public void Record(string what) => where.Record($"{Tag}:{what}");

    public int Divide(int dividend, int divisor, out int remainder)
    {
        remainder = dividend % divisor;
        return dividend / divisor;
    }

    public void Increment(ref int value) => value += Tag == "v1" ? 1 : 2;

    public long Sum(in Pair pair) => pair.Left + pair.Right;

    public bool TryFind(string key, [NotNullWhen(true)] out string? value)
    {
        value = key == "known" ? $"{Tag}:found" : null;
        return value is not null;
    }

    public T Identity<T>(T value) => value;

    public TItem? FirstOrDefault<TItem>(IReadOnlyList<TItem> items)
        where TItem : class
        => items.Count > 0 ? items[0] : null;

    public void RaiseChanged(string what) => Changed?.Invoke(this, $"{Tag}:{what}");

    public int Fail(string message) => throw new InvalidOperationException($"{Tag}:{message}");

#if SHAPES_V2
    public string Describe() => "v2 describe";
#endif

    public string Block(string gate)
    {
        ProbeGate g = where.Session.Gate(gate);
        g.Enter();
        g.Released.GetAwaiter().GetResult();
        return Tag;
    }

    public Task<string> EchoAsync(string text) => Task.FromResult($"{Tag}:{text}");

    public async Task<string> WaitAsync(string gate)
    {
        ProbeGate g = where.Session.Gate(gate);
        g.Enter();
        await g.Released.ConfigureAwait(false);
        where.Record($"{Tag}:resumed");
        return Tag;
    }

    public async Task TouchAsync(string gate)
    {
        ProbeGate g = where.Session.Gate(gate);
        g.Enter();
        await g.Released.ConfigureAwait(false);
        where.Record($"{Tag}:touched");
    }

    public ValueTask<int> CountAsync() => new(++Counter);

    public async ValueTask<string> WaitValueAsync(string gate)
    {
        ProbeGate g = where.Session.Gate(gate);
        g.Enter();
        await g.Released.ConfigureAwait(false);
        return Tag;
    }

    public ValueTask PingAsync()
    {
        where.Record($"{Tag}:ping");
        return ValueTask.CompletedTask;
    }

    public async IAsyncEnumerable<string> StreamAsync(int count, string? gate)
    {
        for (int i = 0; i < count; i++)
        {
            yield return $"{Tag}:{i}";
            if (i == 0 && gate is not null)
            {
                ProbeGate g = where.Session.Gate(gate);
                g.Enter();
                await g.Released.ConfigureAwait(false);
            }
        }

        where.Record($"{Tag}:streamed");
    }

    public async IAsyncEnumerable<int> RangeAsync()
    {
        for (int i = 1; i <= 3; i++)
        {
            await Task.Yield();
            yield return i;
        }
    }

    public Task<string> WaitingTask => WaitAndRecordAsync(nameof(WaitingTask));

    public ValueTask<string> WaitingValueTask => new(WaitAndRecordAsync(nameof(WaitingValueTask)));

    public Task TouchingTask => WaitAndRecordAsync(nameof(TouchingTask));

    public ValueTask TouchingValueTask => new(WaitAndRecordAsync(nameof(TouchingValueTask)));

    public IAsyncEnumerable<string> Streaming => StreamAsync(3, nameof(Streaming));

    public IEnumerable<string> Lazy(int count)
    {
        where.Record($"{Tag}:lazy");
        return Yield(count);
    }

    public IEnumerable<string> LazyItems => Lazy(3);

    public System.Collections.IEnumerable LazyUntyped(int count)
    {
        where.Record($"{Tag}:lazy");
        return YieldUntyped(count);
    }

    private async Task<string> WaitAndRecordAsync(string gate)
    {
        ProbeGate g = where.Session.Gate(gate);
        g.Enter();
        await g.Released.ConfigureAwait(false);
        where.Record($"{Tag}:{gate}");
        return Tag;
    }

    private IEnumerable<string> Yield(int count)
    {
        for (int i = 0; i < count; i++)
        {
            yield return $"{Tag}:{i}";
        }

        where.Record($"{Tag}:yielded");
    }

    private System.Collections.IEnumerable YieldUntyped(int count)
    {
        for (int i = 0; i < count; i++)
        {
            yield return $"{Tag}:{i}";
        }

        where.Record($"{Tag}:yielded");
    }
}
