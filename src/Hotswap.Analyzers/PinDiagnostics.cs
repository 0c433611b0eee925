using Microsoft.CodeAnalysis;

namespace Hotswap.Analyzers;

/// <summary>
/// The diagnostics of the plugin analyzers: each names something in plugin code that keeps a plugin
/// version in memory after it is swapped out, and says what to do instead. Ids HSW1001 and up (the
/// proxy generator has HSW001 to HSW0xx); each is documented in docs/analyzers.md under its id.
/// </summary>
internal static class PinDiagnostics
{
    /// <summary>The diagnostic property that names the IPluginContext in scope, for the code fixes.</summary>
    public const string ContextProperty = "HotswapContext";

    /// <summary>The diagnostic property set when the pin can be released in OnFreeAsync of the enclosing plugin class.</summary>
    public const string OnFreeProperty = "HotswapOnFree";

    /// <summary>The diagnostic property holding the C# text that releases the pin, for the code fixes.</summary>
    public const string ReleaseProperty = "HotswapRelease";

    private const string Category = "Hotswap.Unloading";
    private const string HelpBase = "https://github.com/hotswap-dotnet/hotswap/blob/main/docs/analyzers.md#";

    public static readonly DiagnosticDescriptor HostEvent = Warning(
        "HSW1001",
        "A host-side or static event subscription pins the plugin version",
        "'{0}' is subscribed with no matching '-=' of the same handler in '{1}': the event's owner outlives this plugin version and keeps it in memory after the swap. Unsubscribe the same handler in OnFreeAsync (a lambda cannot be unsubscribed: keep it in a field), or hand an IDisposable that unsubscribes to IPluginContext.RegisterForDispose.");

    public static readonly DiagnosticDescriptor Timer = Warning(
        "HSW1002",
        "A timer that is never disposed pins the plugin version",
        "This {0} is never disposed: a live timer is rooted by the runtime's timer queue and keeps this plugin version in memory after the swap. Pass it to IPluginContext.RegisterForDispose, dispose it in OnFreeAsync, or create it in a using.");

    public static readonly DiagnosticDescriptor Thread = Warning(
        "HSW1003",
        "A thread started without being tracked pins the plugin version",
        "This thread is started but never joined: a running thread roots its delegate and keeps this plugin version in memory after the swap. Keep it in a field, signal it to stop and Join it in OnFreeAsync (or run the work as a task the plugin awaits there).");

    public static readonly DiagnosticDescriptor RegisteredWait = Warning(
        "HSW1004",
        "A registered wait that is never unregistered pins the plugin version",
        "The RegisteredWaitHandle returned by ThreadPool.{0} is never unregistered: the thread pool keeps the callback, and so this plugin version, in memory after the swap. Keep the handle and call Unregister on it in OnFreeAsync.");

    public static readonly DiagnosticDescriptor GCHandle = Warning(
        "HSW1005",
        "A strong or pinned GCHandle that is never freed pins the plugin version",
        "This {0} is never freed: a strong or pinned handle roots its target and keeps this plugin version in memory after the swap. Keep the handle and release it in OnFreeAsync (Free for a GCHandle, Dispose for a GCHandle<T> or PinnedGCHandle<T>), or use a weak handle (GCHandleType.Weak, WeakGCHandle<T>).");

    public static readonly DiagnosticDescriptor TypeDescriptorProvider = Warning(
        "HSW1006",
        "A TypeDescriptor provider that is never removed pins the plugin version",
        "TypeDescriptor.{0} registers a provider that is never removed: TypeDescriptor's process-wide table keeps it, and so this plugin version, in memory after the swap. Keep the provider and call TypeDescriptor.RemoveProvider with it in OnFreeAsync.");

    public static readonly DiagnosticDescriptor TokenRegistration = Warning(
        "HSW1007",
        "A registration on a token the plugin did not create pins the plugin version",
        "{0} on '{1}', a token this plugin did not create, is never disposed: the token's source keeps {2}, and so this plugin version, in memory after the swap. Pass the {3} to IPluginContext.RegisterForDispose, dispose it in OnFreeAsync, or create it in a using.");

    public static readonly DiagnosticDescriptor HostStaticCache = Warning(
        "HSW1008",
        "Storing plugin objects into a host-owned static pins the plugin version",
        "{0} of this plugin is stored into '{1}', a static of another assembly: the host keeps it, and so this plugin version, in memory after the swap. Give the host data it owns (strings, LiveData, contract types) instead of plugin objects, types or delegates.");

    private static DiagnosticDescriptor Warning(string id, string title, string message)
        => new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true,
            description: "Plugin code only (an assembly with [assembly: HotswapPlugin(...)]). See docs/analyzers.md, section " + id + ".",
            helpLinkUri: HelpBase + id.ToLowerInvariant());
}
