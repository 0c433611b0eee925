using System.Diagnostics.CodeAnalysis;
using Hotswap;

namespace TestContracts;

/// <summary>A member the proxy must implement through the base interface.</summary>
public interface IShapesBase
{
    /// <summary>The serving build's tag: "v1" or "v2".</summary>
    string Version { get; }
}

/// <summary>Every member shape the proxy generator supports, exported by the Shapes fixture.</summary>
[PluginContract]
public interface IShapes : IShapesBase
{
    event EventHandler<string>? Changed;

    int Counter { get; set; }

    string this[int index] { get; set; }

    string Echo(string text);

    void Record(string what);

    int Divide(int dividend, int divisor, out int remainder);

    void Increment(ref int value);

    long Sum(in Pair pair);

    bool TryFind(string key, [NotNullWhen(true)] out string? value);

    T Identity<T>(T value);

    TItem? FirstOrDefault<TItem>(IReadOnlyList<TItem> items)
        where TItem : class;

    void RaiseChanged(string what);

    int Fail(string message);

    /// <summary>A default member: v1 keeps it, v2 overrides it.</summary>
    string Describe() => $"default describe ({Version})";

    /// <summary>Blocks inside the plugin on the probe gate named <paramref name="gate"/>; returns the version that served it.</summary>
    string Block(string gate);

    Task<string> EchoAsync(string text);

    /// <summary>Awaits the probe gate named <paramref name="gate"/> inside the plugin; returns the version that served it.</summary>
    Task<string> WaitAsync(string gate);

    Task TouchAsync(string gate);

    ValueTask<int> CountAsync();

    ValueTask<string> WaitValueAsync(string gate);

    ValueTask PingAsync();

    /// <summary>Yields "version:i" for i in [0, count); after the first item, awaits the gate named <paramref name="gate"/> when given.</summary>
    IAsyncEnumerable<string> StreamAsync(int count, string? gate);

    IAsyncEnumerable<int> RangeAsync();

    /// <summary>Awaits the probe gate named after the property inside the plugin, records "version:WaitingTask", and returns the version that served it.</summary>
    Task<string> WaitingTask { get; }

    /// <summary>As <see cref="WaitingTask"/>, with the gate and event named "WaitingValueTask".</summary>
    ValueTask<string> WaitingValueTask { get; }

    /// <summary>As <see cref="WaitingTask"/>, with the gate and event named "TouchingTask".</summary>
    Task TouchingTask { get; }

    /// <summary>As <see cref="WaitingTask"/>, with the gate and event named "TouchingValueTask".</summary>
    ValueTask TouchingValueTask { get; }

    /// <summary>The items of <see cref="StreamAsync"/> with a count of 3 and the gate "Streaming".</summary>
    IAsyncEnumerable<string> Streaming { get; }

    /// <summary>Records "version:lazy" when called, and returns a lazy sequence of "version:i" for i in [0, count) that records "version:yielded" at its end.</summary>
    IEnumerable<string> Lazy(int count);

    /// <summary>The sequence of <see cref="Lazy"/> with a count of 3.</summary>
    IEnumerable<string> LazyItems { get; }

    /// <summary>As <see cref="Lazy"/>, through a non-generic iterator.</summary>
    System.Collections.IEnumerable LazyUntyped(int count);
}

/// <summary>A value passed by <see langword="in"/>.</summary>
public readonly record struct Pair(long Left, long Right);
