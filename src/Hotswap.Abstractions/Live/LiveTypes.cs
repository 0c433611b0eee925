using System.Diagnostics.CodeAnalysis;

namespace Hotswap;

/// <summary>The live types of one generation, by name: classes marked <see cref="LiveTypeAttribute"/>.</summary>
/// <remarks>Read the current generation's through a lease; a retired generation's table is emptied when it drains.</remarks>
public sealed class LiveTypes
{
    private Dictionary<string, Entry> _types;

    internal LiveTypes(Dictionary<string, Entry> types) => _types = types;

    /// <summary>Gets the names of the types.</summary>
    public IReadOnlyCollection<string> Names => [.. Volatile.Read(ref _types).Keys];

    /// <summary>Returns whether a type of that name exists.</summary>
    /// <param name="name">The type's name.</param>
    /// <returns><see langword="true"/> when it exists.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    public bool Contains(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Volatile.Read(ref _types).ContainsKey(name);
    }

    /// <summary>Creates an instance of the newest version's type of that name.</summary>
    /// <param name="name">The type's name.</param>
    /// <param name="args">The constructor's arguments.</param>
    /// <returns>The instance. Do not keep it beyond the lease: it belongs to this generation's version.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="KeyNotFoundException">No type has that name.</exception>
    /// <exception cref="MissingMethodException">No constructor matches <paramref name="args"/>.</exception>
    public object Create(string name, params object?[] args)
        => Activator.CreateInstance(Find(name).Type, args ?? [])!; // a class always yields an instance.

    /// <summary>Creates an instance of the newest version's type of that name, as a contract type.</summary>
    /// <typeparam name="T">A contract type the live type implements.</typeparam>
    /// <param name="name">The type's name.</param>
    /// <returns>The instance. Do not keep it beyond the lease: it belongs to this generation's version.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="KeyNotFoundException">No type has that name.</exception>
    /// <exception cref="InvalidCastException">The type does not implement <typeparamref name="T"/>.</exception>
    public T Create<T>(string name)
        where T : class
    {
        Entry entry = Find(name);
        return Activator.CreateInstance(entry.Type) as T
            ?? throw new InvalidCastException($"The live type '{name}' ({entry.Type.FullName}, from plugin '{entry.PluginName}') does not implement '{typeof(T).FullName}'.");
    }

    /// <summary>Gets the plugin that contributed a type.</summary>
    /// <param name="name">The type's name.</param>
    /// <param name="pluginName">The plugin's name, when found.</param>
    /// <returns><see langword="true"/> when the type exists.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    public bool TryGetPlugin(string name, [NotNullWhen(true)] out string? pluginName)
    {
        ArgumentNullException.ThrowIfNull(name);
        bool found = Volatile.Read(ref _types).TryGetValue(name, out Entry? entry);
        pluginName = entry?.PluginName;
        return found;
    }

    internal void Clear() => Volatile.Write(ref _types, []);

    private Entry Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Volatile.Read(ref _types).TryGetValue(name, out Entry? entry)
            ? entry
            : throw new KeyNotFoundException($"No live type is named '{name}' in this generation. Mark a plugin class with [LiveType(\"{name}\")].");
    }

    internal sealed class Entry(string pluginName, Type type)
    {
        public string PluginName { get; } = pluginName;

        public Type Type { get; } = type;
    }
}
