using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Hotswap;

/// <summary>
/// Data that lives as long as the host and survives every reload: each generation's
/// <see cref="Vault"/> shares the same bag. It refuses values whose type comes from a plugin's
/// collectible load context, since keeping one would keep that plugin version in memory.
/// </summary>
/// <remarks>Thread-safe. Store host types, contract types, or <see cref="LiveData"/>.</remarks>
public sealed class DataBag
{
    private readonly ConcurrentDictionary<string, object?> _items = new(StringComparer.Ordinal);

    internal DataBag()
    {
    }

    /// <summary>Gets the number of entries.</summary>
    public int Count => _items.Count;

    /// <summary>Gets the keys.</summary>
    public IReadOnlyCollection<string> Keys => [.. _items.Keys];

    /// <summary>Stores a value, replacing any value under the same key.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The value (or a delegate or element it holds) comes from a plugin's collectible load context.</exception>
    public void Set(string key, object? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        EnsureNotCollectible(key, value);
        _items[key] = value;
    }

    /// <summary>Gets the value under a key, or adds the one the factory creates.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="factory">Creates the value when the key is absent.</param>
    /// <returns>The value under the key.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="factory"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The created value comes from a plugin's collectible load context.</exception>
    /// <exception cref="InvalidCastException">The value under the key is not a <typeparamref name="T"/>.</exception>
    public T GetOrAdd<T>(string key, Func<T> factory)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(factory);
        object? value = _items.GetOrAdd(key, k =>
        {
            T created = factory();
            EnsureNotCollectible(k, created);
            return created;
        });
        return (T)value!; // the stored value is a T, or the cast throws as documented.
    }

    /// <summary>Gets the value under a key.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value, when found and of type <typeparamref name="T"/>.</param>
    /// <returns><see langword="true"/> when a value of type <typeparamref name="T"/> is stored under the key.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    public bool TryGet<T>(string key, [MaybeNullWhen(false)] out T value)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_items.TryGetValue(key, out object? stored) && stored is T typed)
        {
            value = typed;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>Removes the value under a key.</summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> when a value was removed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    public bool Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _items.TryRemove(key, out _);
    }

    private static void EnsureNotCollectible(string key, object? value)
    {
        if (FindCollectible(value) is { } type)
        {
            throw new ArgumentException(
                $"The DataBag refuses the value for '{key}': it holds a '{type.FullName}' from the collectible load context '{System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(type.Assembly)?.Name}' of a plugin version, and keeping it would keep that version in memory after it retires. Store host or contract types, or wrap the value with LiveData.Create.",
                nameof(value));
        }
    }

    private static Type? FindCollectibleShallow(object? value) => value is Delegate ? FindCollectible(value) : value?.GetType() is { IsCollectible: true } type ? type : null;

    /// <summary>
    /// The value's type, or a delegate's target or method, or an element's (a dictionary's keys and
    /// values), when collectible. It cannot see plugin objects captured by a host-defined closure or
    /// held in fields of a host object: don't store those.
    /// </summary>
    private static Type? FindCollectible(object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case Delegate callback:
                foreach (Delegate single in callback.GetInvocationList())
                {
                    if (single.Method.DeclaringType is { IsCollectible: true } declaring)
                    {
                        return declaring;
                    }

                    if (single.Target?.GetType() is { IsCollectible: true } target)
                    {
                        return target;
                    }
                }

                return null;
        }

        Type type = value.GetType();
        if (type.IsCollectible)
        {
            return type;
        }

        if (value is IDictionary dictionary)
        {
            foreach (DictionaryEntry entry in dictionary)
            {
                if ((FindCollectibleShallow(entry.Key) ?? FindCollectibleShallow(entry.Value)) is { } entryType)
                {
                    return entryType;
                }
            }
        }
        else if (value is ICollection items)
        {
            foreach (object? item in items)
            {
                if (FindCollectibleShallow(item) is { } itemType)
                {
                    return itemType;
                }
            }
        }

        return null;
    }
}
