using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Hotswap.Analyzers;

/// <summary>
/// For HSW1001: which event owners outlive a plugin version. Each answer is the owner written as C# from
/// anywhere (fully qualified), which the code fix puts before the event's name in the <c>-=</c>.
/// </summary>
/// <remarks>
/// A load context is the host's when it is <c>AssemblyLoadContext.Default</c>, or the context of an
/// assembly that is always shared: the host's entry assembly, the core library and
/// <c>Hotswap.Abstractions</c>. The context of any other assembly may be the plugin's own (a library it
/// ships privately loads there, as does the plugin), and subscribing to one's own context is the way to
/// hear of its unloading: it is not reported.
/// </remarks>
internal sealed class HostOwners(Compilation compilation)
{
    private const string LoadContext = "System.Runtime.Loader.AssemblyLoadContext";
    private const string LoadContextGlobal = "global::" + LoadContext;

    private readonly IAssemblySymbol _plugin = compilation.Assembly;
    private readonly IAssemblySymbol _core = compilation.ObjectType.ContainingAssembly;

    /// <summary>The owner of the event as fully qualified C#, when it outlives the plugin version; otherwise null.</summary>
    public string? Of(IEventReferenceOperation reference)
    {
        IEventSymbol @event = reference.Event;
        if (@event.IsStatic)
        {
            // A static event of another assembly's type: its owner is the type, loaded once for the process.
            return SymbolEqualityComparer.Default.Equals(@event.ContainingAssembly, _plugin)
                ? null
                : @event.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        }

        return @event.ContainingType?.ToDisplayString() switch
        {
            "System.AppDomain" => "global::System.AppDomain.CurrentDomain", // one AppDomain per process
            LoadContext when reference.Instance is { } instance => HostContext(PluginCode.Unwrap(instance)),
            _ => null,
        };
    }

    /// <summary><c>AssemblyLoadContext.Default</c>, or <c>AssemblyLoadContext.GetLoadContext(x)</c> of an assembly always shared with the host.</summary>
    private string? HostContext(IOperation context)
    {
        switch (context)
        {
            case IPropertyReferenceOperation { Property: { Name: "Default", IsStatic: true } property } when IsLoadContext(property.ContainingType):
                return LoadContextGlobal + ".Default";
            case IInvocationOperation { TargetMethod: { Name: "GetLoadContext", IsStatic: true } method, Arguments.Length: 1 } call when IsLoadContext(method.ContainingType):
                return HostAssembly(PluginCode.Unwrap(call.Arguments[0].Value)) is { } assembly
                    ? LoadContextGlobal + ".GetLoadContext(" + assembly + ")!" // GetLoadContext is annotated nullable; these assemblies always have one
                    : null;
            default:
                return null;
        }
    }

    /// <summary><c>typeof(T).Assembly</c> of a type of the core library or of Hotswap.Abstractions, or <c>Assembly.GetEntryAssembly()</c> (the host's).</summary>
    private string? HostAssembly(IOperation assembly)
    {
        switch (assembly)
        {
            case IPropertyReferenceOperation { Property.Name: "Assembly", Instance: ITypeOfOperation { TypeOperand: INamedTypeSymbol type } }
                when SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _core) || type.ContainingAssembly?.Name == "Hotswap.Abstractions":
                return "typeof(" + type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + ").Assembly";
            case IInvocationOperation { TargetMethod: { Name: "GetEntryAssembly", IsStatic: true } method, Arguments.Length: 0 }
                when method.ContainingType?.ToDisplayString() == "System.Reflection.Assembly":
                return "global::System.Reflection.Assembly.GetEntryAssembly()!";
            default:
                return null;
        }
    }

    private static bool IsLoadContext(INamedTypeSymbol? type) => type?.ToDisplayString() == LoadContext;
}
