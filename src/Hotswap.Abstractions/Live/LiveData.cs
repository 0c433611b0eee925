using System.Text;
using System.Text.Json;

namespace Hotswap;

/// <summary>
/// A value carried across plugin versions as version-neutral UTF-8 JSON plus the name of its type.
/// It never holds a plugin object, so a job queued by version N does not keep version N in memory,
/// and version N+1 unwraps it into its own type.
/// </summary>
/// <remarks>
/// Unwrapping tolerates members added or removed between versions: unknown JSON members are
/// ignored and missing ones keep their defaults. The serializer metadata that plugin types leave
/// behind (in the options' cache and System.Text.Json's process-wide member accessor cache) is
/// released whenever the host retires a plugin version: the host runs System.Text.Json's own
/// metadata update handler before it unloads the version.
/// </remarks>
/// <example><code>
/// LiveData data = LiveData.Create(new Job(42, "resize"));   // in version 1
/// Job job = data.To&lt;Job&gt;()!;                                // in version 2, with version 2's Job
/// </code></example>
public sealed class LiveData
{
    private static readonly JsonSerializerOptions s_options = new(JsonSerializerDefaults.General) { IncludeFields = true };
    private readonly byte[] _utf8Json;

    private LiveData(string typeName, byte[] utf8Json)
    {
        TypeName = typeName;
        _utf8Json = utf8Json;
    }

    /// <summary>Gets the full name of the wrapped value's type (without its assembly), or <c>null</c> for a null value.</summary>
    public string TypeName { get; }

    /// <summary>Gets the value as UTF-8 JSON.</summary>
    public ReadOnlyMemory<byte> Utf8Json => _utf8Json;

    /// <summary>Wraps a value: a primitive, a string, or an object System.Text.Json can serialize.</summary>
    /// <typeparam name="T">The value's static type; its runtime type is what is serialized.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The wrapped value.</returns>
    /// <exception cref="NotSupportedException">The value's type cannot be serialized.</exception>
    public static LiveData Create<T>(T value)
    {
        Type type = value?.GetType() ?? typeof(T);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(value, type, s_options);
        return new LiveData(value is null ? "null" : type.FullName ?? type.Name, json);
    }

    /// <summary>Rebuilds a wrapped value from its parts, e.g. after it was stored or sent elsewhere.</summary>
    /// <param name="typeName">The type name recorded when it was wrapped.</param>
    /// <param name="utf8Json">The UTF-8 JSON.</param>
    /// <returns>The wrapped value.</returns>
    /// <exception cref="ArgumentException"><paramref name="typeName"/> is null or empty.</exception>
    public static LiveData FromJson(string typeName, ReadOnlySpan<byte> utf8Json)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeName);
        return new LiveData(typeName, utf8Json.ToArray());
    }

    /// <summary>Unwraps the value into <typeparamref name="T"/>: typically the calling version's own type.</summary>
    /// <typeparam name="T">The type to unwrap into.</typeparam>
    /// <returns>The value.</returns>
    /// <exception cref="JsonException">The JSON does not fit <typeparamref name="T"/>.</exception>
    public T? To<T>() => JsonSerializer.Deserialize<T>(_utf8Json, s_options);

    /// <summary>Unwraps the value into <paramref name="type"/>.</summary>
    /// <param name="type">The type to unwrap into.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="type"/> is <see langword="null"/>.</exception>
    /// <exception cref="JsonException">The JSON does not fit <paramref name="type"/>.</exception>
    public object? To(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return JsonSerializer.Deserialize(_utf8Json, type, s_options);
    }

    /// <summary>Returns <c>TypeName: json</c>.</summary>
    /// <returns>The type name and the JSON.</returns>
    public override string ToString() => $"{TypeName}: {Encoding.UTF8.GetString(_utf8Json)}";
}
