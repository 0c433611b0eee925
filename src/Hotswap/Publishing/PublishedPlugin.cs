namespace Hotswap;

/// <summary>One plugin folder under a plugins root, as <see cref="PluginPublisher.ListPublished"/> reads it.</summary>
public sealed class PublishedPlugin
{
    /// <summary>Initializes a new instance of the <see cref="PublishedPlugin"/> class.</summary>
    /// <param name="name">The plugin's name: its folder name.</param>
    /// <param name="directory">The full path of the plugin folder.</param>
    /// <param name="current">What its <c>current</c> file names, or <see langword="null"/> when it has none.</param>
    /// <param name="versions">Its version folders' names, oldest first.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/>, <paramref name="directory"/> or <paramref name="versions"/> is <see langword="null"/>.</exception>
    public PublishedPlugin(string name, string directory, string? current, IReadOnlyList<string> versions)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(versions);
        Name = name;
        Directory = directory;
        Current = current;
        Versions = versions;
    }

    /// <summary>Gets the plugin's name: its folder name.</summary>
    public string Name { get; }

    /// <summary>Gets the full path of the plugin folder.</summary>
    public string Directory { get; }

    /// <summary>Gets what the plugin's <c>current</c> file names, or <see langword="null"/> when it has none (not published yet).</summary>
    public string? Current { get; }

    /// <summary>Gets the names of the plugin's version folders, oldest first (version ids start with their UTC publish time).</summary>
    public IReadOnlyList<string> Versions { get; }
}
