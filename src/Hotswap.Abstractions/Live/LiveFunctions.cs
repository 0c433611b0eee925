using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Hotswap;

/// <summary>The live functions of one generation, by name: static methods marked <see cref="LiveFunctionAttribute"/>.</summary>
/// <remarks>Read the current generation's through a lease; a retired generation's table is emptied when it drains.</remarks>
public sealed class LiveFunctions
{
    private Dictionary<string, Entry> _functions;

    internal LiveFunctions(Dictionary<string, Entry> functions) => _functions = functions;

    /// <summary>Gets the names of the functions.</summary>
    public IReadOnlyCollection<string> Names => [.. Volatile.Read(ref _functions).Keys];

    /// <summary>Returns whether a function of that name exists.</summary>
    /// <param name="name">The function's name.</param>
    /// <returns><see langword="true"/> when it exists.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    public bool Contains(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Volatile.Read(ref _functions).ContainsKey(name);
    }

    /// <summary>Calls a function by name.</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="args">The arguments.</param>
    /// <returns>What the function returned; <see langword="null"/> for a <see langword="void"/> function.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="KeyNotFoundException">No function has that name.</exception>
    public object? Invoke(string name, params object?[] args)
    {
        Entry entry = Find(name);
        return entry.Invoker.Invoke(null, new Span<object?>(args ?? []));
    }

    /// <summary>Gets a function as a delegate of a type the caller knows, for repeated calls.</summary>
    /// <typeparam name="TDelegate">A delegate type matching the method, e.g. <c>Func&lt;LiveData, string&gt;</c>.</typeparam>
    /// <param name="name">The function's name.</param>
    /// <returns>The delegate. Do not keep it beyond the lease: it belongs to this generation's version.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="KeyNotFoundException">No function has that name.</exception>
    /// <exception cref="ArgumentException">The method does not match <typeparamref name="TDelegate"/>.</exception>
    public TDelegate GetDelegate<TDelegate>(string name)
        where TDelegate : Delegate
        => Find(name).Method.CreateDelegate<TDelegate>();

    /// <summary>Gets the plugin that contributed a function.</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="pluginName">The plugin's name, when found.</param>
    /// <returns><see langword="true"/> when the function exists.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    public bool TryGetPlugin(string name, [NotNullWhen(true)] out string? pluginName)
    {
        ArgumentNullException.ThrowIfNull(name);
        bool found = Volatile.Read(ref _functions).TryGetValue(name, out Entry? entry);
        pluginName = entry?.PluginName;
        return found;
    }

    internal void Clear() => Volatile.Write(ref _functions, []);

    private Entry Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Volatile.Read(ref _functions).TryGetValue(name, out Entry? entry)
            ? entry
            : throw new KeyNotFoundException($"No live function is named '{name}' in this generation. Mark a static method of a plugin with [LiveFunction(\"{name}\")].");
    }

    internal sealed class Entry(string pluginName, MethodInfo method)
    {
        public string PluginName { get; } = pluginName;

        public MethodInfo Method { get; } = method;

        public MethodInvoker Invoker { get; } = MethodInvoker.Create(method);
    }
}
