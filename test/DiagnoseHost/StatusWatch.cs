namespace DiagnoseHost;

/// <summary>Wakes a waiter each time a status file under the plugins root is written (replaced by rename).</summary>
internal sealed class StatusWatch : IDisposable
{
    private readonly FileSystemWatcher _watcher;
    private readonly SemaphoreSlim _written = new(0);

    public StatusWatch(string root)
    {
        _watcher = new FileSystemWatcher(root) { IncludeSubdirectories = true, Filter = "*.json", EnableRaisingEvents = true };
        _watcher.Created += (_, _) => _written.Release();
        _watcher.Changed += (_, _) => _written.Release();
        _watcher.Renamed += (_, _) => _written.Release();
    }

    /// <summary>Returns once <paramref name="done"/> holds, checking it now and after each write; at most a minute.</summary>
    public async Task UntilAsync(Func<bool> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!done())
        {
            await _written.WaitAsync(timeout.Token);
        }
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _written.Dispose();
    }
}
