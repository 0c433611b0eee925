namespace Hotswap;

/// <summary>
/// What one generation of plugins shares: the host's extension object for that generation.
/// A new vault is built for every generation; plugins fill it in <see cref="Plugin.OnInitAsync"/>.
/// </summary>
/// <remarks>The vault of a retired generation is emptied when the generation drains, so a stale reference to it never keeps a plugin version in memory.</remarks>
public sealed class Vault
{
    private object? _extension;

    internal Vault(long generation, object? extension)
    {
        Generation = generation;
        _extension = extension;
    }

    /// <summary>Gets the number of the generation this vault belongs to.</summary>
    public long Generation { get; }

    /// <summary>
    /// Gets the host-defined extension object of this generation, created by the host's
    /// extension factory, or <see langword="null"/> when the host configured none.
    /// </summary>
    public object? Extension => Volatile.Read(ref _extension);

    /// <summary>Gets the extension object as <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The extension type the host configured.</typeparam>
    /// <returns>The extension object.</returns>
    /// <exception cref="InvalidOperationException">The host configured no extension, or one of another type.</exception>
    public T GetExtension<T>()
        where T : class
        => Extension as T ?? throw new InvalidOperationException(
            $"The vault of generation {Generation} has no extension of type '{typeof(T).FullName}'. Configure PluginHostOptions.ExtensionFactory to create one.");

    internal void Clear() => Volatile.Write(ref _extension, null);
}
