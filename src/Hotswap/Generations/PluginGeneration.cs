namespace Hotswap;

/// <summary>
/// One generation: its plugin versions in order, its vault, its exports by plugin id, and the
/// <see cref="LeaseCounter"/> of the calls that use it.
/// </summary>
/// <remarks>Immutable once published, but for <see cref="Clear"/>, which the retirement runs after the drain.</remarks>
internal sealed class PluginGeneration : Generation
{
    private readonly Dictionary<string, PluginVersion> _byName;
    private PluginVersion[] _ordered;
    private object?[] _exports;
    private CallMonitor? _monitor;

    public PluginGeneration(long number, Vault vault, PluginVersion[] ordered, PluginIds ids, Action<PluginGeneration> onDrained)
    {
        Number = number;
        Vault = vault;
        _ordered = ordered;
        _byName = new Dictionary<string, PluginVersion>(ordered.Length, StringComparer.OrdinalIgnoreCase);
        var infos = new PluginVersionInfo[ordered.Length];
        var slots = new int[ordered.Length];
        int size = 0;
        for (int i = 0; i < ordered.Length; i++)
        {
            _byName.Add(ordered[i].Name, ordered[i]);
            infos[i] = ordered[i].Info;
            slots[i] = ids.Assign(ordered[i].Name);
            size = Math.Max(size, slots[i] + 1);
        }

        _exports = new object?[size];
        for (int i = 0; i < ordered.Length; i++)
        {
            _exports[slots[i]] = ordered[i].Exported;
        }

        Plugins = infos;
        Leases = new LeaseCounter(() => onDrained(this));
        ReleaseSharedAction = Leases.ReleaseShared;
    }

    public override long Number { get; }

    public override Vault Vault { get; }

    public override IReadOnlyList<PluginVersionInfo> Plugins { get; }

    /// <summary>Gets the versions in order. Empty once drained.</summary>
    public PluginVersion[] Versions => Volatile.Read(ref _ordered);

    /// <summary>Gets each plugin's exported object by the host's plugin id; a slot is <see langword="null"/> when the plugin is absent or exports nothing. Empty once drained.</summary>
    public object?[] Exports => _exports;

    /// <summary>Gets the leases on this generation.</summary>
    public LeaseCounter Leases { get; }

    /// <summary>Gets <see cref="LeaseCounter.ReleaseShared"/> as a delegate made once, so a task continuation that releases a lease allocates nothing.</summary>
    public Action ReleaseSharedAction { get; }

    public bool IsDrained => Leases.IsDrained;

    /// <summary>Gets or sets what counts the calls and failures of the new versions while the generation is on probation with automatic rollback; <see langword="null"/> otherwise.</summary>
    public CallMonitor? Monitor
    {
        get => Volatile.Read(ref _monitor);
        set => Volatile.Write(ref _monitor, value);
    }

    public bool TryGetVersion(string pluginName, out PluginVersion version)
        => _byName.TryGetValue(pluginName, out version!);

    /// <summary>Whether this generation holds exactly <paramref name="version"/> (not merely a version of its plugin).</summary>
    public bool Holds(PluginVersion version) => _byName.TryGetValue(version.Name, out PluginVersion? held) && held == version;

    /// <summary>Counts a failed call of a plugin while the generation is on probation with automatic rollback; a cancellation is not a failure.</summary>
    /// <param name="pluginId">The plugin called.</param>
    /// <param name="exception">What the call threw.</param>
    public void CountFailure(int pluginId, Exception exception)
    {
        if (exception is not OperationCanceledException)
        {
            Monitor?.Fail(pluginId);
        }
    }

    /// <summary>Forgets the versions and exports, so a stale reference to this generation pins nothing.</summary>
    public void Clear()
    {
        Volatile.Write(ref _ordered, []);
        Volatile.Write(ref _exports, []);
        Vault.Clear();
    }

    /// <summary>Gets the export of one plugin as <typeparamref name="T"/>; the caller holds a lease.</summary>
    public T GetExport<T>(int pluginId, string pluginName)
        where T : class
    {
        object?[] exports = _exports;
        if ((uint)pluginId < (uint)exports.Length && exports[pluginId] is T typed)
        {
            return typed;
        }

        // The id is not known yet (no generation held the name when the caller asked), or the slot
        // holds something else: look the plugin up by name, which also says why it cannot be called.
        return GetExport<T>(pluginName);
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
}
