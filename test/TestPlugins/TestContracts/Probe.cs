using System.Collections.Concurrent;
using System.Reflection;

namespace TestContracts;

/// <summary>
/// How a test talks to the fixture plugins it loaded: a session per plugins root, found by the
/// plugin from its own assembly's location (root/plugin/version/Plugin.dll), so tests running in
/// parallel on different roots never see each other's events. Holds only host types.
/// </summary>
public static class Probe
{
    private static readonly ConcurrentDictionary<string, ProbeSession> s_sessions = new(StringComparer.Ordinal);

    public static ProbeSession Open(string pluginsRoot)
    {
        var session = new ProbeSession(Path.GetFullPath(pluginsRoot));
        s_sessions[session.Root] = session;
        return session;
    }

    private static (Assembly Assembly, PluginLocation Location)? s_static;

    public static void Close(ProbeSession session) => s_sessions.TryRemove(session.Root, out _);

    /// <summary>Static plugins are compiled into the host, so their location names no plugins root: the plugin in this assembly reports here.</summary>
    public static void UseForStaticPlugins(ProbeSession? session, string pluginName, Assembly? assembly = null)
        => s_static = session is null || assembly is null ? null : (assembly, new PluginLocation(pluginName, "static", session));

    /// <summary>
    /// The folder a plugin assembly came from. Hotswap loads plugin assemblies from checked bytes in
    /// memory, so their Location is empty; its load context names the version folder instead.
    /// </summary>
    private static string VersionDirectoryOf(Assembly assembly)
    {
        if (assembly.Location.Length > 0)
        {
            return Path.GetDirectoryName(assembly.Location)!;
        }

        object? context = System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(assembly);
        return context?.GetType().GetProperty("VersionDirectory")?.GetValue(context) as string ?? "";
    }

    /// <summary>Where a plugin assembly was loaded from: its plugin name, version and session.</summary>
    public static PluginLocation Locate(Assembly assembly)
    {
        string versionDirectory = VersionDirectoryOf(assembly);
        string pluginDirectory = Path.GetDirectoryName(versionDirectory)!;
        string root = Path.GetDirectoryName(pluginDirectory)!;
        if (s_sessions.TryGetValue(root, out ProbeSession? session))
        {
            return new PluginLocation(Path.GetFileName(pluginDirectory), Path.GetFileName(versionDirectory), session);
        }

        return s_static is { } registered && registered.Assembly == assembly
            ? registered.Location
            : new PluginLocation(Path.GetFileName(pluginDirectory), Path.GetFileName(versionDirectory), ProbeSession.Detached);
    }
}

public sealed record PluginLocation(string PluginName, string Version, ProbeSession Session)
{
    public void Record(string what) => Session.Record($"{PluginName}:{what}");

    public string? Setting(string key) => Session.Setting($"{PluginName}.{key}");
}

public sealed class ProbeSession
{
    internal static readonly ProbeSession Detached = new("");

    private readonly ConcurrentQueue<string> _events = new();
    private readonly ConcurrentDictionary<string, string> _settings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ProbeGate> _gates = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<object> _kept = [];

    internal ProbeSession(string root) => Root = root;

    public string Root { get; }

    public IReadOnlyList<string> Events => [.. _events];

    public void Record(string what) => _events.Enqueue(what);

    public void ClearEvents() => _events.Clear();

    public void Set(string key, string? value)
    {
        if (value is null)
        {
            _settings.TryRemove(key, out _);
        }
        else
        {
            _settings[key] = value;
        }
    }

    public string? Setting(string key) => _settings.TryGetValue(key, out string? value) ? value : null;

    /// <summary>A host-side reference to a plugin object, as a leaky host cache would keep it; dropped when the session closes.</summary>
    public void Keep(object value) => _kept.Add(value);

    public IReadOnlyList<object> Kept => [.. _kept];

    public ProbeGate Gate(string name) => _gates.GetOrAdd(name, static _ => new ProbeGate());
}

/// <summary>A call that the test holds inside plugin code: the plugin signals Entered and waits for Release.</summary>
public sealed class ProbeGate
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Entered => _entered.Task;

    public Task Released => _released.Task;

    public void Enter() => _entered.TrySetResult();

    public void Release() => _released.TrySetResult();
}
