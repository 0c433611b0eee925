using Hotswap;
using Hotswap.Benchmarks.Contracts;

[assembly: HotswapPlugin(typeof(Hotswap.Benchmarks.Calculators.CalculatorPlugin))]

namespace Hotswap.Benchmarks.Calculators;

/// <summary>The benchmark plugin: exports a <see cref="Calculator"/> and answers <c>"add"</c> by name.</summary>
public sealed class CalculatorPlugin : Plugin
{
    /// <inheritdoc/>
    public override object? Export() => new Calculator();

    /// <inheritdoc/>
    public override object? Invoke(string name, params object?[] args) => name switch
    {
        "add" => (int)args[0]! + (int)args[1]!,
        _ => null,
    };
}

/// <summary>The exported calculator: each member does as little as it can.</summary>
public sealed class Calculator : ICalculator
{
    /// <inheritdoc/>
    public int Add(int a, int b) => a + b;

    /// <inheritdoc/>
    public ValueTask<int> AddValueAsync(int a, int b) => new(a + b);

    /// <inheritdoc/>
    public Task<int> AddTaskAsync(int a, int b) => Task.FromResult(a + b);

    /// <inheritdoc/>
    public async Task<int> AddYieldingAsync(int a, int b)
    {
        await Task.Yield();
        return a + b;
    }
}
