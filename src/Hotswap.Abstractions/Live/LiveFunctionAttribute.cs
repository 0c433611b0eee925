namespace Hotswap;

/// <summary>
/// Marks a static method as a live function: collected per generation into
/// <see cref="Vault.LiveFunctions"/>, so a call by name always runs the newest version's code.
/// </summary>
/// <remarks>Names are unique across the plugins of a generation; a duplicate refuses the reload.</remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class LiveFunctionAttribute : Attribute
{
    /// <summary>Initializes a new instance of the <see cref="LiveFunctionAttribute"/> class.</summary>
    /// <param name="name">The function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    public LiveFunctionAttribute(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>Gets the function's name.</summary>
    public string Name { get; }
}
