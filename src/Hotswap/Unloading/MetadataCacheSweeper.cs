using System.Reflection;
using System.Reflection.Metadata;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// Runs every framework <c>[MetadataUpdateHandler]</c> <c>ClearCache</c> method, as hot reload
/// does after an edit. This releases the caches that keep plugin types alive, System.Text.Json's
/// serialization metadata among them.
/// </summary>
internal static class MetadataCacheSweeper
{
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
            .Select(static h => h.HandlerType.GetMethod("ClearCache", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, s_clearCacheParameters))
            .OfType<MethodInfo>()];
    }
}
