using System.Reflection;
using System.Reflection.Metadata;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// Runs every framework <c>[MetadataUpdateHandler]</c> <c>ClearCache</c> method, as hot reload
/// does after an edit, but one: CoreLib's reflection cache handler. This releases the caches that
/// keep plugin types alive, System.Text.Json's serialization metadata among them.
/// </summary>
/// <remarks>
/// CoreLib's <c>RuntimeTypeMetadataUpdateHandler</c> is for Edit and Continue, where a type's
/// members change in place: called without types it walks every type of every loaded assembly and
/// drops its reflection cache. No such cache can keep a collectible context alive: a plugin
/// type's cache hangs off that type (it goes with its context), and a default-context type's cache
/// holds only members of that type, never a plugin type (a generic instantiation over a plugin
/// type is a type of the plugin's context). So it only cost time (1 to 2 ms per retirement,
/// growing with the loaded types) and made the host rebuild its own reflection afterwards.
/// </remarks>
internal static class MetadataCacheSweeper
{
    private const string ReflectionCacheHandler = "System.Reflection.Metadata.RuntimeTypeMetadataUpdateHandler";

    private static readonly Type[] s_clearCacheParameters = [typeof(Type[])];

    // Default-context assemblies never unload: their handlers are found once per assembly.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Assembly, MethodInfo[]> s_handlers = new();

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ClearCaches(ILogger logger)
    {
        // Only the default context: handlers in plugin assemblies belong to versions still serving.
        foreach (Assembly assembly in AssemblyLoadContext.Default.Assemblies)
        {
            foreach (MethodInfo clearCache in s_handlers.GetOrAdd(assembly, FindHandlers))
            {
                try
                {
                    clearCache.Invoke(null, [null]);
                }
                catch (TargetInvocationException ex)
                {
                    Log.ClearCacheFailed(logger, clearCache.DeclaringType?.FullName ?? clearCache.Name, ex.InnerException ?? ex);
                }
            }
        }
    }

    private static MethodInfo[] FindHandlers(Assembly assembly)
    {
        MetadataUpdateHandlerAttribute[] handlers;
        try
        {
            handlers = (MetadataUpdateHandlerAttribute[])assembly.GetCustomAttributes(typeof(MetadataUpdateHandlerAttribute), inherit: false);
        }
        catch (Exception ex) when (ex is TypeLoadException or FileNotFoundException or FileLoadException or CustomAttributeFormatException)
        {
            return [];
        }

        return [.. handlers
            .Where(static h => !(h.HandlerType.Assembly == typeof(object).Assembly && h.HandlerType.FullName == ReflectionCacheHandler))
            .Select(static h => h.HandlerType.GetMethod("ClearCache", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, s_clearCacheParameters))
            .OfType<MethodInfo>()];
    }
}
