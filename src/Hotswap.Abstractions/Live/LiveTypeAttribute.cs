namespace Hotswap;

/// <summary>
/// Marks a class as a live type: collected per generation into <see cref="Vault.LiveTypes"/>, so
/// the host can create the newest version's type by name.
/// </summary>
/// <remarks>Names are unique across the plugins of a generation; a duplicate refuses the reload.</remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class LiveTypeAttribute : Attribute
{
    /// <summary>Initializes a new instance of the <see cref="LiveTypeAttribute"/> class.</summary>
    /// <param name="name">The type's name.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    public LiveTypeAttribute(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>Gets the type's name.</summary>
    public string Name { get; }
}
