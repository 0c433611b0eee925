namespace Hotswap.Soak;

/// <summary>
/// A fresh plugins root in the temp folder holding the soak plugins: each published twice, once
/// from each build, so flipping its <c>current</c> makes the next reload load a new context of
/// the other build. Deleted on dispose.
/// </summary>
internal sealed class SoakRoot : IDisposable
{
    private readonly Dictionary<(string Plugin, string Version), int> _builds;

    private SoakRoot(string path, string[] names, string[][] versions, Dictionary<(string, string), int> builds)
    {
        Path = path;
        Names = names;
        Versions = versions;
        _builds = builds;
    }

    /// <summary>Gets the plugins root's full path.</summary>
    public string Path { get; }

    /// <summary>Gets the plugins' names.</summary>
    public string[] Names { get; }

    /// <summary>Gets, for each plugin, its two version ids: index 0 published from build 1 (current at first), index 1 from build 2.</summary>
    public string[][] Versions { get; }

    /// <summary>Publishes <paramref name="plugins"/> plugins, <c>soak00</c>, <c>soak01</c>, ..., from both builds; build 1 current.</summary>
    /// <param name="plugins">How many plugins.</param>
    /// <returns>The root.</returns>
    public static async Task<SoakRoot> CreateAsync(int plugins)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hotswap-soak-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        try
        {
            var names = new string[plugins];
            var versions = new string[plugins][];
            var builds = new Dictionary<(string, string), int>();
            for (int k = 0; k < plugins; k++)
            {
                names[k] = $"soak{k:00}";
                versions[k] = new string[2];
                for (int build = 1; build <= 2; build++)
                {
                    string output = SoakPaths.PluginOutput(build);
                    if (!File.Exists(System.IO.Path.Combine(output, "Hotswap.Soak.Plugin.dll")))
                    {
                        throw new InvalidOperationException($"The soak plugin was not built: '{output}' has no Hotswap.Soak.Plugin.dll.");
                    }

                    PublishResult published = await PluginPublisher.PublishAsync(output, path, names[k], new PublishOptions { Activate = build == 1 }).ConfigureAwait(false);
                    versions[k][build - 1] = published.Version;
                    builds.Add((names[k], published.Version), build);
                }
            }

            return new SoakRoot(path, names, versions, builds);
        }
        catch
        {
            Delete(path);
            throw;
        }
    }

    /// <summary>Makes version <paramref name="index"/> (0: build 1, 1: build 2) of plugin <paramref name="plugin"/> current.</summary>
    /// <param name="plugin">The plugin's index.</param>
    /// <param name="index">The version's index in <see cref="Versions"/>.</param>
    public void Activate(int plugin, int index) => PluginPublisher.Activate(Path, Names[plugin], Versions[plugin][index]);

    /// <summary>Gets which build a published version folder was published from.</summary>
    /// <param name="plugin">The plugin's name.</param>
    /// <param name="version">The version id.</param>
    /// <returns>1 or 2, or 0 for a version this root never published.</returns>
    public int BuildOf(string plugin, string version) => _builds.GetValueOrDefault((plugin, version));

    /// <summary>Deletes the plugins root.</summary>
    public void Dispose() => Delete(Path);

    private static void Delete(string path)
    {
        if (!Directory.Exists(path))
        {
            return;
        }

        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"soak: could not delete the plugins root {path}: {ex.Message}");
        }
    }
}
