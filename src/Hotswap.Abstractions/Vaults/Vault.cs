using System.Diagnostics.CodeAnalysis;

namespace Hotswap;

/// <summary>
/// What one generation of plugins shares: the host's extension object for that generation, the
/// generation's live functions and live types, and the host-lifetime <see cref="Hotswap.DataBag"/>.
/// A new vault is built for every generation; plugins fill it in <see cref="Plugin.OnInitAsync"/>.
/// </summary>
/// <remarks>
/// The vault of a retired generation is emptied (extension, live functions, live types) when the
/// generation drains, so a stale reference to it never keeps a plugin version in memory. The
/// <see cref="DataBag"/> is the same object in every generation.
/// </remarks>
public sealed class Vault
{
    private object? _extension;

    internal Vault(long generation, object? extension, DataBag dataBag, LiveFunctions liveFunctions, LiveTypes liveTypes)
    {
        Generation = generation;
        _extension = extension;
        DataBag = dataBag;
        LiveFunctions = liveFunctions;
        LiveTypes = liveTypes;
    }

    /// <summary>Gets the number of the generation this vault belongs to.</summary>
    public long Generation { get; }

    /// <summary>Gets the host-lifetime data that survives reloads; the same object in every generation.</summary>
    public DataBag DataBag { get; }

    /// <summary>Gets this generation's live functions.</summary>
    public LiveFunctions LiveFunctions { get; }

    /// <summary>Gets this generation's live types.</summary>
    public LiveTypes LiveTypes { get; }

    /// <summary>Gets the host-defined extension object of this generation as <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The extension type the host's factory creates.</typeparam>
    /// <returns>The extension object, created for this generation by <c>PluginHostOptions.ExtensionFactory</c>.</returns>
    /// <exception cref="InvalidOperationException">The host configured no extension, or one of another type, or the generation was freed.</exception>
    public T Extension<T>()
        where T : class
        => Volatile.Read(ref _extension) as T ?? throw new InvalidOperationException(
            $"The vault of generation {Generation} has no extension of type '{typeof(T).FullName}'. Configure PluginHostOptions.ExtensionFactory to create one.");

    /// <summary>Gets the host-defined extension object of this generation as <typeparamref name="T"/>, when there is one.</summary>
    /// <typeparam name="T">The extension type the host's factory creates.</typeparam>
    /// <param name="extension">The extension object, when found.</param>
    /// <returns><see langword="true"/> when the generation has an extension of type <typeparamref name="T"/>.</returns>
    public bool TryGetExtension<T>([NotNullWhen(true)] out T? extension)
        where T : class
    {
        extension = Volatile.Read(ref _extension) as T;
        return extension is not null;
    }

    internal void Clear()
    {
        Volatile.Write(ref _extension, null);
        LiveFunctions.Clear();
        LiveTypes.Clear();
    }
}
