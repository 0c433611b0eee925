namespace Hotswap;

/// <summary>
/// One generation: its plugin versions in order, its vault, and the count of leases on it.
/// </summary>
/// <remarks>
/// Leasing is lock-free. A caller increments the count and then checks the retired flag; the
/// retiring side sets the flag and then reads the count. Both steps are full fences
/// (<see cref="Interlocked"/>), so at least one side sees the other: either the caller backs off
/// and retries on the new generation, or the retiring side sees the lease and the drain completes
/// on the caller's release instead. The drain completes exactly once.
/// </remarks>
internal sealed class PluginGeneration : Generation
{
    private readonly Dictionary<string, PluginVersion> _byName;
    private readonly Action<PluginGeneration> _onDrained;
    private PluginVersion[] _ordered;
    private long _leases;
    private int _retired;
    private int _drained;

    public PluginGeneration(long number, Vault vault, PluginVersion[] ordered, Action<PluginGeneration> onDrained)
    {
        Number = number;
        Vault = vault;
        _ordered = ordered;
        _onDrained = onDrained;
        _byName = new Dictionary<string, PluginVersion>(ordered.Length, StringComparer.OrdinalIgnoreCase);
        var infos = new PluginVersionInfo[ordered.Length];
        for (int i = 0; i < ordered.Length; i++)
        {
            _byName.Add(ordered[i].Name, ordered[i]);
            infos[i] = ordered[i].Info;
        }

        Plugins = infos;
    }

    public override long Number { get; }

    public override Vault Vault { get; }

    public override IReadOnlyList<PluginVersionInfo> Plugins { get; }

    /// <summary>Gets the versions in order. Empty once drained.</summary>
    public PluginVersion[] Versions => Volatile.Read(ref _ordered);

    public long Leases => Volatile.Read(ref _leases);

    public bool IsDrained => Volatile.Read(ref _drained) != 0;

    public bool TryGetVersion(string pluginName, out PluginVersion version)
        => _byName.TryGetValue(pluginName, out version!);

    public bool TryAcquire()
    {
        Interlocked.Increment(ref _leases);
        if (Volatile.Read(ref _retired) == 0)
        {
            return true;
        }

        Release();
        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0 && Volatile.Read(ref _retired) != 0)
        {
            CompleteDrain();
        }
    }

    /// <summary>Stops new leases; the drain completes when the last lease is released.</summary>
    public void Retire()
    {
        Interlocked.Exchange(ref _retired, 1);
        if (Interlocked.Read(ref _leases) == 0)
        {
            CompleteDrain();
        }
    }

    /// <summary>Forgets the versions, so a stale reference to this generation pins nothing.</summary>
    public void Clear()
    {
        Volatile.Write(ref _ordered, []);
        Vault.Clear();
    }

    public override bool Contains(string pluginName)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        return _byName.ContainsKey(pluginName);
    }

    public override object? Invoke(string pluginName, string name, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        ArgumentNullException.ThrowIfNull(name);
        return Find(pluginName).GetInstance().Invoke(name, args ?? []);
    }

    public override void InvokeEach(string name, params object?[] args) => InvokeAll(name, args, backward: false);

    public override void InvokeEachBackward(string name, params object?[] args) => InvokeAll(name, args, backward: true);

    public override T GetExport<T>(string pluginName)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        PluginVersion version = Find(pluginName);
        _ = version.GetInstance(); // throws once freed
        return version.Exported as T ?? throw new InvalidCastException(SR.ExportNotOfType(version.Name, typeof(T), version.Exported));
    }

    private PluginVersion Find(string pluginName)
        => _byName.TryGetValue(pluginName, out PluginVersion? version)
            ? version
            : throw new KeyNotFoundException(SR.PluginNotInGeneration(pluginName, Number));

    private void InvokeAll(string name, object?[] args, bool backward)
    {
        ArgumentNullException.ThrowIfNull(name);
        args ??= [];
        PluginVersion[] ordered = Versions;
        ObjectDisposedException.ThrowIf(IsDrained, this);
        List<Exception>? errors = null;
        for (int k = 0; k < ordered.Length; k++)
        {
            PluginVersion version = ordered[backward ? ordered.Length - 1 - k : k];
            try
            {
                version.GetInstance().Invoke(name, args);
            }
#pragma warning disable CA1031 // Isolation boundary: every plugin is visited even when one throws; all failures are reported together.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                (errors ??= []).Add(new PluginException(version.Name, SR.InvokeEachFailed(version.Name, name, ex), ex));
            }
        }

        if (errors is not null)
        {
            throw new AggregateException(SR.InvokeEachFailures(name, errors.Count, ordered.Length), errors);
        }
    }

    private void CompleteDrain()
    {
        if (Interlocked.CompareExchange(ref _drained, 1, 0) == 0)
        {
            _onDrained(this);
        }
    }
}
