using System.Reflection;
using System.Runtime.Loader;
using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// The collectible load context of one plugin version. What must be shared comes from the host's
/// sharing context (<see cref="HostAssemblies"/>); everything else the version ships resolves
/// privately from its folder through the entry assembly's deps.json; what it needs and does not ship
/// comes from the host.
/// </summary>
/// <remarks>
/// <para>
/// Holds no reference to any assembly or type it loaded: the runtime keeps a strong handle on the
/// context while it unloads, and such a field would keep the whole version alive.
/// </para>
/// <para>
/// Every assembly (the entry assembly, private dependencies, satellite assemblies) and every native
/// library comes from bytes read into memory and checked against the manifest the version was
/// verified with (<see cref="VerifiedFiles"/>), never from whatever the path holds at that moment: a
/// dependency loaded lazily, hours after Verify, is checked again when it loads. A file whose bytes
/// changed is refused with a <see cref="FileLoadException"/> that names the plugin, the version
/// folder and the file, and logged; the changed bytes are never loaded. Assemblies load from a
/// stream, so their <see cref="Assembly.Location"/> is empty; the resolver still maps names to paths.
/// Native libraries cannot be loaded from memory: the checked bytes are written to a private copy
/// (a folder only the host's user can open) and the copy is loaded, then removed when the context
/// unloads.
/// </para>
/// </remarks>
internal sealed class PluginLoadContext : AssemblyLoadContext
{
    private readonly AssemblyDependencyResolver _resolver;
    private readonly HostAssemblies _host;
    private readonly IReadOnlySet<string> _shared;
    private readonly IReadOnlySet<string> _private;
    private readonly VerifiedFiles _files;
    private readonly string _version;
    private readonly ILogger _logger;
    private readonly Lock _nativeLock = new();
    private string? _nativeCopies;
    private readonly Dictionary<string, string> _copied = new(StringComparer.Ordinal);

    public PluginLoadContext(string pluginName, string version, string entryAssemblyPath, VerifiedFiles files, HostAssemblies host, ILogger logger, AssemblyDependencyResolver? resolver = null, IReadOnlySet<string>? shared = null, IReadOnlySet<string>? privately = null)
        : base($"{pluginName}@{version}", isCollectible: true)
    {
        _shared = shared ?? new HashSet<string>();
        _private = privately ?? new HashSet<string>();
        _resolver = resolver ?? new AssemblyDependencyResolver(entryAssemblyPath);
        _host = host;
        _files = files;
        _version = version;
        _logger = logger;
        Unloading += static context => ((PluginLoadContext)context).RemoveNativeCopies();
    }

    /// <summary>Gets the full path of the version folder the context loads from.</summary>
    /// <remarks>Public, so code that once read <see cref="Assembly.Location"/> can still find its folder.</remarks>
    public string VersionDirectory => _files.VersionDirectory;

    /// <summary>Loads an assembly of the version folder from bytes checked against the manifest.</summary>
    /// <exception cref="FileLoadException">The file is not listed or its bytes differ from what was verified.</exception>
    /// <exception cref="BadImageFormatException">The verified bytes are not an assembly.</exception>
    public Assembly LoadVerified(string path)
    {
        byte[] image = ReadVerified(path);
        string symbolsPath = Path.ChangeExtension(path, ".pdb");
        byte[]? symbols = _files.Lists(symbolsPath) ? ReadVerified(symbolsPath) : null;
        using var imageStream = new MemoryStream(image, writable: false);
        using MemoryStream? symbolsStream = symbols is null ? null : new MemoryStream(symbols, writable: false);
        return LoadFromStream(imageStream, symbolsStream);
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is not { } name)
        {
            return null;
        }

        if (IsShared(name))
        {
            return _host.LoadShared(assemblyName); // one copy, one type identity: the sharing context's (null: the default context's)
        }

        string? path = _resolver.ResolveAssemblyToPath(assemblyName);
        return path is null ? _host.LoadShared(assemblyName) : LoadVerified(path); // not shipped: the host's copy, if it has one
    }

    /// <summary>
    /// Where this context would load an assembly from, for a host a plugin of this version created
    /// (a nested host shares from here): the version folder for a private one, else the host's path.
    /// </summary>
    internal string? PathOf(string simpleName)
        => (IsShared(simpleName) ? null : _resolver.ResolveAssemblyToPath(new AssemblyName(simpleName))) ?? _host.PathOf(simpleName);

    /// <summary>
    /// What Verify decided comes from the host, the framework, and, for an assembly loaded by name at
    /// run time outside the references Verify walked, whatever must be shared. What Verify resolved
    /// privately, and satellite assemblies, are decided at once: this runs at every load (the JIT's
    /// too), and asking the host about a name it lacks costs a look through its assemblies.
    /// </summary>
    private bool IsShared(string name)
        => _shared.Contains(name)
            || _host.IsFramework(name)
            || (!_private.Contains(name) && !name.EndsWith(".resources", StringComparison.OrdinalIgnoreCase) && _host.MustShare(name) is not null && _host.TryGetVersion(name, out _));

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        if (path is null)
        {
            return IntPtr.Zero;
        }

        byte[] image = ReadVerified(path);
        return LoadUnmanagedDllFromPath(WriteNativeCopy(path, image));
    }

    private byte[] ReadVerified(string path)
    {
        try
        {
            return _files.Read(path);
        }
        catch (FileLoadException ex)
        {
            Log.LoadRefused(_logger, _files.PluginName, _version, path, ex);
            throw;
        }
    }

    /// <summary>
    /// Writes checked bytes to a new file in this context's private folder (created on first use,
    /// readable by the host's user only) and returns its path. The file is created new, never
    /// overwritten, so what the loader opens is what was checked.
    /// </summary>
    private string WriteNativeCopy(string path, byte[] image)
    {
        lock (_nativeLock)
        {
            try
            {
                // On Unix the folder is made by mkdtemp(3): a fresh name, mode 0700.
                _nativeCopies ??= Directory.CreateTempSubdirectory("hotswap-native-").FullName;
                if (_copied.TryGetValue(path, out string? known))
                {
                    return known; // written in full and loaded before: the loader returns the same handle.
                }

                // One subfolder per source file, so two libraries of one name in two folders never
                // share a copy; the file keeps its name for the system loader.
                string folder = Path.Combine(_nativeCopies, _copied.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Directory.CreateDirectory(folder);
                string copy = Path.Combine(folder, Path.GetFileName(path));
                try
                {
                    using var stream = new FileStream(copy, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                    stream.Write(image);
                }
                catch
                {
                    File.Delete(copy); // never leave a part of the checked bytes to be found later
                    throw;
                }

                _copied[path] = copy;
                return copy;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                var refused = new FileLoadException(SR.NativeCopyFailed(_files.PluginName, _files.VersionDirectory, path, ex.Message), path, ex);
                Log.LoadRefused(_logger, _files.PluginName, _version, path, refused);
                throw refused;
            }
        }
    }

    private void RemoveNativeCopies()
    {
        string? folder;
        lock (_nativeLock)
        {
            folder = _nativeCopies;
            _nativeCopies = null;
            _copied.Clear();
        }

        if (folder is null)
        {
            return;
        }

        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // On Windows a loaded native library cannot be deleted; the temp folder outlives the process.
            Log.NativeCopiesNotRemoved(_logger, _files.PluginName, _version, folder, ex);
        }
    }
}
