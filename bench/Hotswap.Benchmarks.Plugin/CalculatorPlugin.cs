using System.Runtime.CompilerServices;
using Hotswap;
using Hotswap.Benchmarks.Contracts;

[assembly: HotswapPlugin(typeof(Hotswap.Benchmarks.Calculators.CalculatorPlugin))]

namespace Hotswap.Benchmarks.Calculators;

/// <summary>
/// The benchmark plugin: exports a <see cref="Calculator"/> and answers <c>"add"</c> by name.
/// <see cref="WarmUpAsync"/> runs the hot path (<see cref="Calculator.Add"/>) once when the host's
/// load data is the string <see cref="WarmUpData"/> (the plugin calls it through the contract,
/// from its own code); otherwise it does nothing.
/// </summary>
public sealed class CalculatorPlugin : Plugin
{
    /// <summary>The load data that asks for a warm-up (the swap latency runner passes it).</summary>
    public const string WarmUpData = "warm-up";

    private readonly Calculator _calculator = new();
    private bool _warmUp;

    /// <inheritdoc/>
    public override object? Export() => _calculator;

    /// <inheritdoc/>
    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        _warmUp = context.Data is WarmUpData;
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public override Task WarmUpAsync(CancellationToken cancellationToken)
    {
        if (_warmUp)
        {
            _ = CallThroughContract(_calculator);
        }

        return Task.CompletedTask;
    }

    // Through the contract interface, as the host's proxy calls it: not inlined, so the call is a
    // real interface dispatch on the export's type and not a direct call the JIT devirtualized
    // (it would be, on the sealed type of the field).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int CallThroughContract(ICalculator calculator) => calculator.Add(1, 2);

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
