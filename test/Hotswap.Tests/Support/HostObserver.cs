namespace Hotswap.Tests.Support;

/// <summary>Records a host's events and lets a test await them, without sleeping.</summary>
public sealed class HostObserver
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(90);

    private readonly Lock _gate = new();
    private readonly List<UnloadedEventArgs> _unloaded = [];
    private readonly List<UnloadStuckEventArgs> _stuck = [];
    private readonly List<UnloadingEventArgs> _unloading = [];
    private readonly List<ReloadFailedEventArgs> _failed = [];
    private readonly List<(Func<bool> Done, TaskCompletionSource Signal)> _waiters = [];

    public HostObserver(PluginHost host)
    {
        host.Unloaded += (_, e) => Add(_unloaded, e);
        host.UnloadStuck += (_, e) => Add(_stuck, e);
        host.Unloading += (_, e) => Add(_unloading, e);
        host.ReloadFailed += (_, e) => Add(_failed, e);
    }

    public IReadOnlyList<UnloadedEventArgs> Unloaded => Snapshot(_unloaded);

    public IReadOnlyList<UnloadStuckEventArgs> Stuck => Snapshot(_stuck);

    public IReadOnlyList<UnloadingEventArgs> Unloading => Snapshot(_unloading);

    public IReadOnlyList<ReloadFailedEventArgs> Failed => Snapshot(_failed);

    public Task<UnloadedEventArgs> WhenUnloaded(string pluginName, string version)
        => WhenAsync(() => _unloaded.Find(e => e.Version == new PluginVersionInfo(pluginName, version)));

    public Task<UnloadStuckEventArgs> WhenStuck(string pluginName, string version)
        => WhenAsync(() => _stuck.Find(e => e.Version == new PluginVersionInfo(pluginName, version)));

    public Task<UnloadingEventArgs> WhenUnloading(string pluginName, string version)
        => WhenAsync(() => _unloading.Find(e => e.Version == new PluginVersionInfo(pluginName, version)));

    public Task WhenUnloadedCount(int count) => WhenAsync(() => _unloaded.Count >= count ? _unloaded : null);

    private async Task<T> WhenAsync<T>(Func<T?> find)
        where T : class
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (find() is { } found)
            {
                return found;
            }

            _waiters.Add((() => find() is not null, signal));
        }

        await signal.Task.WaitAsync(s_bound);
        lock (_gate)
        {
            return find()!;
        }
    }

    private void Add<T>(List<T> list, T item)
    {
        List<TaskCompletionSource> ready = [];
        lock (_gate)
        {
            list.Add(item);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Done())
                {
                    ready.Add(_waiters[i].Signal);
                    _waiters.RemoveAt(i);
                }
            }
        }

        ready.ForEach(s => s.TrySetResult());
    }

    private IReadOnlyList<T> Snapshot<T>(List<T> list)
    {
        lock (_gate)
        {
            return [.. list];
        }
    }
}
