namespace Hotswap.Benchmarks.Contracts;

/// <summary>What the benchmark plugin exports: calls small enough that the call path is what gets measured.</summary>
[Hotswap.PluginContract]
public interface ICalculator
{
    /// <summary>Adds two numbers.</summary>
    /// <param name="a">The first number.</param>
    /// <param name="b">The second number.</param>
    /// <returns>The sum.</returns>
    int Add(int a, int b);

    /// <summary>Adds two numbers; the value task is always already completed.</summary>
    /// <param name="a">The first number.</param>
    /// <param name="b">The second number.</param>
    /// <returns>The sum.</returns>
    ValueTask<int> AddValueAsync(int a, int b);

    /// <summary>Adds two numbers; the task is always already completed.</summary>
    /// <param name="a">The first number.</param>
    /// <param name="b">The second number.</param>
    /// <returns>The sum.</returns>
    Task<int> AddTaskAsync(int a, int b);

    /// <summary>Adds two numbers after <c>await Task.Yield()</c>, so the task completes later, on the thread pool.</summary>
    /// <param name="a">The first number.</param>
    /// <param name="b">The second number.</param>
    /// <returns>The sum.</returns>
    Task<int> AddYieldingAsync(int a, int b);
}
