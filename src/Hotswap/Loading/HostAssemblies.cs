using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;

namespace Hotswap;

/// <summary>
/// What a host shares with its plugins, by necessity rather than by presence (docs/concepts.md,
/// "What is shared"): the framework, <c>Hotswap.Abstractions</c>, the contract assemblies (those the
/// host provides that reference <c>Hotswap.Abstractions</c>), every assembly whose types appear in
/// the public surface of a shared one (read from metadata), and what
/// <see cref="PluginHostOptions.SharedAssemblies"/> names. Everything else a plugin ships loads
/// privately from its version folder, whatever the host has loaded; what a plugin needs and does
/// not ship comes from the host, if the host has it.
/// </summary>
/// <remarks>
/// The host's side is its sharing context (<see cref="PluginHostOptions.SharingContext"/>): the
/// default context, or, for a host created by a plugin, that plugin's context, so sub-plugins share
/// the plugin's contracts.
/// </remarks>
internal sealed class HostAssemblies
{
    private const string Abstractions = "Hotswap.Abstractions";

    private static readonly Lazy<(Dictionary<string, string> Paths, string? FrameworkRoot)> s_platform = new(ReadPlatform);

    // Counts the assemblies loaded in the process since Hotswap started watching: an answer "not
    // found" is kept only while nothing new was loaded (the host may load a contract later, from
    // outside its trusted platform assemblies). Static, and holding no host: the handler pins nothing.
    private static int s_loads = StartCounting();

    private readonly AssemblyLoadContext _sharing;
    private readonly HashSet<string> _forced;
    private readonly ConcurrentDictionary<string, (string? Path, Version? Version)> _located = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> _notFound = new(StringComparer.OrdinalIgnoreCase); // name -> s_loads when it was looked for
    private readonly ConcurrentDictionary<string, bool> _contracts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Dictionary<string, string>> _surfaces = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Initializes the view of a host that shares from <paramref name="sharing"/>, forcing <paramref name="forced"/> (assembly simple names) to be shared too.</summary>
    public HostAssemblies(AssemblyLoadContext? sharing = null, IEnumerable<string>? forced = null)
    {
        _sharing = sharing ?? AssemblyLoadContext.Default;
        // A name as users write it: trimmed, and without a ".dll" they may have added.
        _forced = new HashSet<string>(
            (forced ?? []).Select(static n => n.Trim()).Select(static n => n.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? n[..^4] : n).Where(static n => n.Length > 0),
            StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Gets the context shared assemblies come from.</summary>
    public AssemblyLoadContext Sharing => _sharing;

    /// <summary>Returns whether the host provides the assembly, and which version it has.</summary>
    public bool TryGetVersion(string simpleName, out Version? version)
    {
        (string? Path, Version? Version)? found = Locate(simpleName);
        version = found?.Version;
        return found is not null;
    }

    /// <summary>Returns the path the host would load the assembly from, or <see langword="null"/>.</summary>
    public string? PathOf(string simpleName) => Locate(simpleName)?.Path;

    /// <summary>Returns whether the assembly is part of the shared framework (always shared).</summary>
    public bool IsFramework(string simpleName)
    {
        (Dictionary<string, string> paths, string? root) = s_platform.Value;
        return paths.TryGetValue(simpleName, out string? path) && (root is null || path.StartsWith(root, StringComparison.Ordinal));
    }

    /// <summary>
    /// Returns why the assembly must be the host's copy whether or not the plugin ships one, or
    /// <see langword="null"/> when it is not shared by necessity (it may still come from the host when
    /// the plugin does not ship it). The framework is not asked about here: it is always shared.
    /// </summary>
    public string? MustShare(string simpleName)
    {
        if (_forced.Contains(simpleName))
        {
            return SR.SharedForced(simpleName);
        }

        if (string.Equals(simpleName, Abstractions, StringComparison.OrdinalIgnoreCase))
        {
            return SR.SharedAbstractions;
        }

        return IsContract(simpleName) ? SR.SharedContract(simpleName) : null;
    }

    /// <summary>Returns whether the host provides the assembly and its copy references <c>Hotswap.Abstractions</c>: a contract assembly.</summary>
    public bool IsContract(string simpleName)
    {
        if (_contracts.TryGetValue(simpleName, out bool known))
        {
            return known;
        }

        if (IsFramework(simpleName) || Locate(simpleName) is not { Path: { } path })
        {
            return false; // not kept: the host may have it later
        }

        bool contract;
        try
        {
            contract = ContractSurface.References(path, Abstractions);
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or UnauthorizedAccessException)
        {
            contract = false;
        }

        return _contracts.GetOrAdd(simpleName, contract);
    }

    /// <summary>The assemblies (not of the framework) whose types the public surface of the host's copy of <paramref name="simpleName"/> uses, each with the first public type that uses it.</summary>
    public IReadOnlyDictionary<string, string> SurfaceOf(string simpleName)
        => _surfaces.GetOrAdd(simpleName, static (name, self) =>
        {
            if (self.Locate(name) is not { Path: { } path })
            {
                return [];
            }

            try
            {
                Dictionary<string, string> surface = ContractSurface.Read(path);
                foreach (string used in surface.Keys.ToList())
                {
                    if (self.IsFramework(used) || string.Equals(used, name, StringComparison.OrdinalIgnoreCase))
                    {
                        surface.Remove(used);
                    }
                }

                return surface;
            }
            catch (Exception ex) when (ex is IOException or BadImageFormatException or UnauthorizedAccessException)
            {
                return [];
            }
        }, this);

    /// <summary>
    /// Loads the host's copy of a shared assembly for a plugin's context: <see langword="null"/> when
    /// the sharing context is the default one (the runtime then falls back to it), else the sharing
    /// context's own resolution, so a nested host's plugins get their parent plugin's copy.
    /// </summary>
    public Assembly? LoadShared(AssemblyName name)
    {
        if (ReferenceEquals(_sharing, AssemblyLoadContext.Default) || IsFramework(name.Name ?? ""))
        {
            return null;
        }

        try
        {
            return _sharing.LoadFromAssemblyName(name);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private (string? Path, Version? Version)? Locate(string simpleName)
    {
        if (_located.TryGetValue(simpleName, out var found))
        {
            return found;
        }

        int loads = Volatile.Read(ref s_loads);
        if (_notFound.TryGetValue(simpleName, out int since) && since == loads)
        {
            return null;
        }

        if (Find(simpleName) is { } now)
        {
            return _located.GetOrAdd(simpleName, now);
        }

        _notFound[simpleName] = loads;
        return null;
    }

    private static int StartCounting()
    {
        // Loads into collectible contexts (every plugin version's) are not counted: they happen at
        // every reload, and a host's sharing context that is a plugin's own resolves names from its
        // version folder, which does not change.
        AppDomain.CurrentDomain.AssemblyLoad += static (_, e) =>
        {
            if (AssemblyLoadContext.GetLoadContext(e.LoadedAssembly) is not { IsCollectible: true })
            {
                Interlocked.Increment(ref s_loads);
            }
        };
        return 0;
    }

    private (string? Path, Version? Version)? Find(string simpleName)
    {
        foreach (Assembly loaded in _sharing.Assemblies)
        {
            AssemblyName name = loaded.GetName();
            if (string.Equals(name.Name, simpleName, StringComparison.OrdinalIgnoreCase))
            {
                string? location = loaded.Location;
                return (string.IsNullOrEmpty(location) ? PathInSharing(simpleName) : location, name.Version ?? new Version(0, 0, 0, 0));
            }
        }

        string? path = PathInSharing(simpleName);
        if (path is null)
        {
            return null;
        }

        try
        {
            return (path, AssemblyName.GetAssemblyName(path).Version ?? new Version(0, 0, 0, 0));
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Where the sharing context would load the assembly from: the trusted platform assemblies for the default context, a plugin's version folder (then its own host) for a plugin's.</summary>
    private string? PathInSharing(string simpleName)
    {
        if (_sharing is PluginLoadContext plugin)
        {
            return plugin.PathOf(simpleName);
        }

        return s_platform.Value.Paths.GetValueOrDefault(simpleName);
    }

    /// <summary>
    /// The trusted platform assemblies by simple name, and the folder of the shared frameworks
    /// (<c>.../shared/</c>): an assembly under it is the framework's. A self-contained application has
    /// no such folder; then every trusted platform assembly counts as the framework's (shared).
    /// </summary>
    private static (Dictionary<string, string>, string?) ReadPlatform()
    {
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string tpa = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        foreach (string path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            paths.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        }

        string? runtime = Path.GetDirectoryName(typeof(object).Assembly.Location); // .../shared/Microsoft.NETCore.App/10.0.x
        string? framework = runtime is null ? null : Path.GetDirectoryName(runtime);
        string? root = framework is not null && string.Equals(Path.GetFileName(framework), "Microsoft.NETCore.App", StringComparison.Ordinal)
            ? Path.GetDirectoryName(framework) + Path.DirectorySeparatorChar
            : null;
        return (paths, root);
    }
}
