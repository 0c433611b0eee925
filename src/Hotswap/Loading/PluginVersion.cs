using System.Reflection;
using System.Runtime.CompilerServices;

namespace Hotswap;

/// <summary>One loaded version of one plugin: its load context, instance and export.</summary>
internal sealed class PluginVersion
{
    private int _generations;
    private Plugin? _instance;

    public PluginVersion(string name, string version, string entryAssemblyPath, bool isStatic = false)
    {
        Name = name;
        Version = version;
        EntryAssemblyPath = entryAssemblyPath;
        IsStatic = isStatic;
        Info = new PluginVersionInfo(name, version);
    }

    /// <summary>Gets a value indicating whether the plugin is compiled into the host (no load context, never reloaded).</summary>
    public bool IsStatic { get; }

    /// <summary>Gets the names of the plugins this version imports: host strings, kept for planning after the version retires.</summary>
    public string[] ImportNames { get; private set; } = [];

    /// <summary>Gets the import properties of the plugin class. Cleared when detached.</summary>
    public IReadOnlyList<(string PluginName, PropertyInfo Property)> Imports { get; private set; } = [];

    /// <summary>Gets the live functions the version's assembly declares. Cleared when detached.</summary>
    public IReadOnlyList<(string Name, MethodInfo Method)> LiveFunctions { get; private set; } = [];

    /// <summary>Gets the live types the version's assembly declares. Cleared when detached.</summary>
    public IReadOnlyList<(string Name, Type Type)> LiveTypes { get; private set; } = [];

    public string Name { get; }

    public string Version { get; }

    public string EntryAssemblyPath { get; }

    /// <summary>Gets or sets the resolver made while verifying, handed to the load context and then forgotten.</summary>
    public System.Runtime.Loader.AssemblyDependencyResolver? Resolver { get; set; }

    /// <summary>
    /// Gets the files of the version folder with the sizes and hashes they were verified with;
    /// <see langword="null"/> for a static plugin. Every assembly and native library the version
    /// loads is checked against it when it loads.
    /// </summary>
    public VerifiedFiles? Files { get; init; }

    /// <summary>Gets the assemblies this version gets from the host (shared by necessity, or needed and not shipped), by simple name; set by Verify.</summary>
    public IReadOnlySet<string>? Shared { get; init; }

    /// <summary>Gets the assemblies Verify resolved from the version folder, by simple name.</summary>
    public IReadOnlySet<string>? Private { get; init; }

    /// <summary>Gets or sets the signed manifest's sequence number, or <see langword="null"/> when unsigned or unchecked.</summary>
    public long? Sequence { get; set; }

    public PluginVersionInfo Info { get; }

    public PluginLoadContext? LoadContext { get; set; }

    public Plugin? Instance
    {
        get => Volatile.Read(ref _instance);
        set => Volatile.Write(ref _instance, value);
    }

    public object? Exported { get; set; }

    public PluginContext? Context { get; set; }

    public bool Reloadable { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether <c>OnLoadAsync</c> was called, so <c>OnFreeAsync</c> is owed.</summary>
    public bool OnLoadCalled { get; set; }

    public void Describe(IReadOnlyList<(string PluginName, PropertyInfo Property)> imports, IReadOnlyList<(string Name, MethodInfo Method)> liveFunctions, IReadOnlyList<(string Name, Type Type)> liveTypes)
    {
        Imports = imports;
        ImportNames = [.. imports.Select(static i => i.PluginName).Distinct(StringComparer.OrdinalIgnoreCase)];
        LiveFunctions = liveFunctions;
        LiveTypes = liveTypes;
    }

    public Plugin GetInstance() => Instance ?? throw new ObjectDisposedException(Info.ToString(), SR.VersionFreed(Info));

    public void AddGenerationRef() => Interlocked.Increment(ref _generations);

    /// <summary>Returns the number of generations still using this version.</summary>
    public int ReleaseGenerationRef() => Interlocked.Decrement(ref _generations);

    /// <summary>
    /// Gets the simple names of the assemblies its load context loaded, as strings (empty for a
    /// static plugin). Not inlined, so no caller frame keeps an <see cref="Assembly"/> of the context.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public string[] LoadedAssemblyNames()
        => LoadContext is { } context ? [.. context.Assemblies.Select(static a => a.GetName().Name).OfType<string>()] : [];

    /// <summary>
    /// Drops every reference to plugin code and starts unloading the context. Not inlined, so no
    /// caller frame keeps a temporary that reaches the context.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public WeakReference? DetachAndUnload()
    {
        PluginLoadContext? context = LoadContext;
        Instance = null;
        Exported = null;
        LoadContext = null;
        Imports = [];
        LiveFunctions = [];
        LiveTypes = [];
        if (context is null)
        {
            return null;
        }

        var weak = new WeakReference(context, trackResurrection: false);
        context.Unload();
        return weak;
    }
}
