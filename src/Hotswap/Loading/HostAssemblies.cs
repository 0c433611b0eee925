using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;

namespace Hotswap;

/// <summary>
/// The assemblies the host shares with every plugin: whatever the default load context can
/// provide (the shared frameworks, <c>Hotswap.Abstractions</c>, contract assemblies and the rest
/// of the host's own dependencies). Sharing them is what makes a contract type the same type on
/// both sides; everything else a plugin needs resolves privately from its version folder.
/// </summary>
internal sealed class HostAssemblies
{
    private readonly Dictionary<string, string> _trustedPlatformAssemblies;
    private readonly ConcurrentDictionary<string, Version?> _versions = new(StringComparer.OrdinalIgnoreCase);

    public HostAssemblies()
    {
        _trustedPlatformAssemblies = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string tpa = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        foreach (string path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            _trustedPlatformAssemblies.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        }
    }

    /// <summary>Returns whether the host provides the assembly, and which version it has.</summary>
    public bool TryGetVersion(string simpleName, out Version? version)
    {
        version = _versions.GetOrAdd(simpleName, static (name, self) => self.FindVersion(name), this);
        return version is not null;
    }

    public bool Provides(string simpleName) => TryGetVersion(simpleName, out _);

    private Version? FindVersion(string simpleName)
    {
        foreach (Assembly loaded in AssemblyLoadContext.Default.Assemblies)
        {
            AssemblyName name = loaded.GetName();
            if (string.Equals(name.Name, simpleName, StringComparison.OrdinalIgnoreCase))
            {
                return name.Version ?? new Version(0, 0, 0, 0);
            }
        }

        if (_trustedPlatformAssemblies.TryGetValue(simpleName, out string? path))
        {
            try
            {
                return AssemblyName.GetAssemblyName(path).Version ?? new Version(0, 0, 0, 0);
            }
            catch (Exception ex) when (ex is IOException or BadImageFormatException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        return null;
    }
}
