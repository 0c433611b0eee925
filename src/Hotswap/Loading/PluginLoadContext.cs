using System.Reflection;
using System.Runtime.Loader;

namespace Hotswap;

/// <summary>
/// The collectible load context of one plugin version. Shared assemblies come from the host;
/// the rest resolves privately from the version folder through the entry assembly's deps.json.
/// </summary>
/// <remarks>
/// Holds no reference to any assembly or type it loaded: the runtime keeps a strong handle on the
/// context while it unloads, and such a field would keep the whole version alive.
/// </remarks>
internal sealed class PluginLoadContext : AssemblyLoadContext
{
    private readonly AssemblyDependencyResolver _resolver;
    private readonly HostAssemblies _host;

    public PluginLoadContext(string name, string entryAssemblyPath, HostAssemblies host, AssemblyDependencyResolver? resolver = null)
        : base(name, isCollectible: true)
    {
        _resolver = resolver ?? new AssemblyDependencyResolver(entryAssemblyPath);
        _host = host;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is null || _host.Provides(assemblyName.Name))
        {
            return null; // the default context provides it: one shared copy, one type identity.
        }

        string? path = _resolver.ResolveAssemblyToPath(assemblyName);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
