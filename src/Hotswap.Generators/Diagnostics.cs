using Microsoft.CodeAnalysis;

namespace Hotswap.Generators;

/// <summary>The diagnostics of the proxy generator: each names a shape a proxy cannot forward safely.</summary>
internal static class Diagnostics
{
    private const string Category = "Hotswap.Proxies";

    public static readonly DiagnosticDescriptor GenericContract = Error(
        "HSW001",
        "Generic plugin contracts are not supported",
        "Plugin contract '{0}' is generic; a proxy is generated only for a closed, non-generic interface. Declare a non-generic contract (it may extend a generic interface).");

    public static readonly DiagnosticDescriptor RefReturn = Error(
        "HSW002",
        "A plugin contract member cannot return by reference",
        "Member '{0}' of plugin contract '{1}' returns by reference; the reference would outlive the call's lease on the plugin version. Return a value instead.");

    public static readonly DiagnosticDescriptor StaticMember = Error(
        "HSW003",
        "A plugin contract cannot have static abstract or virtual members",
        "Member '{0}' of plugin contract '{1}' is static abstract or static virtual; a static member cannot be forwarded to a plugin's current version. Make it an instance member.");

    public static readonly DiagnosticDescriptor UntrackedAwaitable = Error(
        "HSW004",
        "A plugin contract member returns an awaitable the proxy cannot track",
        "Member '{0}' of plugin contract '{1}' returns '{2}', which is awaitable but not Task, Task<T>, ValueTask, ValueTask<T> or IAsyncEnumerable<T>; the proxy could not hold the lease until it completes. Return one of those types.");

    public static readonly DiagnosticDescriptor InaccessibleMember = Error(
        "HSW005",
        "A plugin contract member is not public",
        "Member '{0}' of plugin contract '{1}' is not public, so a proxy cannot call it on the plugin's export. Make it public.");

    public static readonly DiagnosticDescriptor InaccessibleContract = Error(
        "HSW006",
        "A plugin contract must be accessible to the proxy",
        "Plugin contract '{0}' is not accessible from generated code; it must be public (or internal, when declared in the project that generates the proxy), and so must every type that contains it.");

    public static readonly DiagnosticDescriptor PointerType = Error(
        "HSW007",
        "A plugin contract member cannot use pointer types",
        "Member '{0}' of plugin contract '{1}' uses a pointer or function pointer type, which a proxy does not forward. Use a span or a handle.");

    public static readonly DiagnosticDescriptor AsyncEnumerableByRef = Error(
        "HSW008",
        "An async-enumerable member cannot take ref, out or in parameters or ref struct arguments",
        "Member '{0}' of plugin contract '{1}' returns IAsyncEnumerable<T> and takes parameter '{2}' by reference or as a ref struct; the proxy starts the enumeration later, so it must keep the arguments. Pass it by value.");

    public static readonly DiagnosticDescriptor InitAccessor = Error(
        "HSW009",
        "A plugin contract property cannot have an init accessor",
        "Property '{0}' of plugin contract '{1}' has an init accessor; a proxy cannot initialize the plugin's object. Use a set accessor or a method.");

    public static readonly DiagnosticDescriptor EnumerableByRef = Error(
        "HSW010",
        "An enumerable member cannot take ref, out or in parameters or ref struct arguments",
        "Member '{0}' of plugin contract '{1}' returns IEnumerable or IEnumerable<T> and takes parameter '{2}' by reference or as a ref struct; the proxy calls the plugin when the sequence is enumerated, so it must keep the arguments. Pass it by value.");

    private static DiagnosticDescriptor Error(string id, string title, string message)
        => new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, description: "See docs/proxies.md, section " + id + ".");
}
