namespace Hotswap.Cli.Watching;

/// <summary>
/// Watches the folders of a project graph for saved changes to sources (<c>.cs</c>, <c>.csproj</c>,
/// <c>.props</c>, <c>.targets</c>, <c>.json</c>, <c>.resx</c>), not build output (<c>bin</c>,
/// <c>obj</c>, <c>artifacts</c>) nor hidden folders at any depth. Each change counts once; a change
/// to a project or MSBuild file is also remembered, for re-reading the graph, and every changed path,
/// for the in-process compile to tell whether it covers the change.
/// </summary>
internal sealed class SourceWatcher : IDisposable
{
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly SemaphoreSlim _changes = new(0);
    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);
    private int _projectFileChanged;

    public SourceWatcher(IReadOnlyList<string> directories)
    {
        foreach (string directory in directories.Where(Directory.Exists))
        {
            var watcher = new FileSystemWatcher(directory) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite };
            void OnChange(object sender, FileSystemEventArgs e)
            {
                if (IsSource(directory, e.FullPath))
                {
                    lock (_changed)
                    {
                        _changed.Add(e.FullPath);
                        if (e is RenamedEventArgs renamed)
                        {
                            _changed.Add(renamed.OldFullPath);
                        }
                    }

                    if (Path.GetExtension(e.FullPath) is ".csproj" or ".props" or ".targets")
                    {
                        Volatile.Write(ref _projectFileChanged, 1);
                    }

                    _changes.Release();
                }
            }

            watcher.Changed += OnChange;
            watcher.Created += OnChange;
            watcher.Deleted += OnChange;
            watcher.Renamed += OnChange;
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    /// <summary>Waits for the next change.</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => _changes.WaitAsync(cancellationToken);

    /// <summary>Takes every change seen meanwhile.</summary>
    /// <returns>How many.</returns>
    public int Drain()
    {
        int drained = 0;
        while (_changes.Wait(0))
        {
            drained++;
        }

        return drained;
    }

    /// <summary>Takes the paths changed since the last call (both names of a renamed file).</summary>
    /// <returns>The paths.</returns>
    public IReadOnlyList<string> TakeChangedFiles()
    {
        lock (_changed)
        {
            string[] files = [.. _changed];
            _changed.Clear();
            return files;
        }
    }

    /// <summary>Whether a project or MSBuild file changed since the last call.</summary>
    public bool TakeProjectFileChange() => Interlocked.Exchange(ref _projectFileChanged, 0) == 1;

    public void Dispose()
    {
        foreach (FileSystemWatcher watcher in _watchers)
        {
            watcher.Dispose();
        }

        // _changes is not disposed: an event already being raised may still release it.
    }

    private static bool IsSource(string directory, string path)
    {
        string[] parts = Path.GetRelativePath(directory, path).Split(Path.DirectorySeparatorChar);
        return !parts[..^1].Any(static part => part is "bin" or "obj" or "artifacts" || part.StartsWith('.'))
            && Path.GetExtension(path) is ".cs" or ".csproj" or ".props" or ".targets" or ".json" or ".resx";
    }
}
