namespace Hotswap.Soak;

/// <summary>
/// A fresh plugins root in the temp folder holding the soak plugins: each published once from each
/// build (or twice from each, see <see cref="CreateAsync"/>), so flipping its <c>current</c> makes
/// the next reload load a new context of the other build. Deleted on dispose.
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

    /// <summary>
    /// Gets, for each plugin, its version ids: even indexes published from build 1 (index 0 current
    /// at first), odd ones from build 2.
    /// </summary>
    public string[][] Versions { get; }

    /// <summary>Publishes <paramref name="plugins"/> plugins, <c>soak00</c>, <c>soak01</c>, ..., from both builds; build 1 current.</summary>
    /// <param name="plugins">How many plugins.</param>
    /// <param name="copies">
    /// How many version folders of each build: 1, or 2 for a soak with probation, whose reloads must
    /// not publish the version kept on probation again (that reload would switch back to it instead
    /// of loading) nor the version just rolled back (that one is not loaded again until another is
    /// published). The second copy of a build differs from the first only by its build time, one
    /// minute earlier, which gives it another version id.
    /// </param>
    /// <returns>The root.</returns>
    public static async Task<SoakRoot> CreateAsync(int plugins, int copies)
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
                versions[k] = new string[2 * copies];
                for (int index = 0; index < versions[k].Length; index++)
                {
                    int build = (index % 2) + 1;
                    string output = SoakPaths.PluginOutput(build);
                    if (!File.Exists(System.IO.Path.Combine(output, "Hotswap.Soak.Plugin.dll")))
                    {
                        throw new InvalidOperationException($"The soak plugin was not built: '{output}' has no Hotswap.Soak.Plugin.dll.");
                    }

                    var publish = new PublishOptions { Activate = index == 0 };
                    if (index >= 2)
                    {
                        publish.TimeProvider = new EarlierClock(TimeSpan.FromMinutes(index / 2));
                    }

                    PublishResult published = await PluginPublisher.PublishAsync(output, path, names[k], publish).ConfigureAwait(false);
                    versions[k][index] = published.Version;
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

    /// <summary>Makes version <paramref name="index"/> (even: build 1, odd: build 2) of plugin <paramref name="plugin"/> current.</summary>
    /// <param name="plugin">The plugin's index.</param>
    /// <param name="index">The version's index in <see cref="Versions"/>.</param>
    public void Activate(int plugin, int index) => PluginPublisher.Activate(Path, Names[plugin], Versions[plugin][index]);

    /// <summary>
    /// Picks the version folder the next reload of plugin <paramref name="plugin"/> publishes: the
    /// first of the other build than <paramref name="serving"/> that is not <paramref name="avoid"/>.
    /// </summary>
    /// <param name="plugin">The plugin's index.</param>
    /// <param name="serving">The index of the version serving.</param>
    /// <param name="avoid">The index of a version not to publish (kept on probation, or just rolled back), or -1.</param>
    /// <returns>The index in <see cref="Versions"/>.</returns>
    public int Next(int plugin, int serving, int avoid)
    {
        string[] versions = Versions[plugin];
        for (int step = 1; step < versions.Length; step += 2)
        {
            int index = (serving + step) % versions.Length;
            if (index != avoid)
            {
                return index;
            }
        }

        throw new InvalidOperationException($"{Names[plugin]} has no version folder of the other build but {versions[avoid]}.");
    }

    /// <summary>Gets which build a published version folder was published from.</summary>
    /// <param name="plugin">The plugin's name.</param>
    /// <param name="version">The version id.</param>
    /// <returns>1 or 2, or 0 for a version this root never published.</returns>
    public int BuildOf(string plugin, string version) => _builds.GetValueOrDefault((plugin, version));

    /// <summary>Deletes the plugins root.</summary>
    public void Dispose() => Delete(Path);

    /// <summary>A clock <see cref="Offset"/> behind the system's, for a version id of its own.</summary>
    private sealed class EarlierClock(TimeSpan offset) : TimeProvider
    {
        /// <summary>Gets how far behind the system clock this one is.</summary>
        public TimeSpan Offset => offset;

        /// <inheritdoc/>
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() - offset;
    }

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
