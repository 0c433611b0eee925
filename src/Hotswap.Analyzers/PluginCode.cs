using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Hotswap.Analyzers;

/// <summary>What the analyzers share: which compilations are plugin code, and how to read operations.</summary>
internal static class PluginCode
{
    /// <summary>
    /// The global analyzer option (in a <c>.globalconfig</c> with <c>is_global = true</c>) that turns the rules
    /// on for a library a plugin ships privately (<c>true</c>), or off for a plugin (<c>false</c>).
    /// </summary>
    public const string Option = "hotswap_plugin_code";

    public const string PluginAttribute = "Hotswap.HotswapPluginAttribute";
    public const string PluginBase = "Hotswap.Plugin";
    public const string PluginContext = "Hotswap.IPluginContext";

    /// <summary>
    /// Plugin code is an assembly marked <c>[assembly: HotswapPlugin(...)]</c>: only such an assembly is loaded
    /// into a collectible context. Hosts and contract assemblies reference Hotswap.Abstractions too (and so
    /// get these analyzers), but what they subscribe or keep lives as long as the process anyway.
    /// </summary>
    public static bool IsPlugin(Compilation compilation, AnalyzerOptions options)
    {
        if (options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue(Option, out string? value))
        {
            if (string.Equals(value, "true", System.StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (string.Equals(value, "false", System.StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return compilation.Assembly.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == PluginAttribute);
    }

    /// <summary>The operation without the implicit or explicit conversions around it.</summary>
    public static IOperation Unwrap(IOperation operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation;
    }

    /// <summary>The local, parameter, field or property an operation reads, if it is one.</summary>
    public static ISymbol? ReferencedSymbol(IOperation? operation)
    {
        if (operation is null)
        {
            return null;
        }

        ISymbol? symbol = Unwrap(operation) switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation field => field.Field,
            IPropertyReferenceOperation property when property.Arguments.Length == 0 => property.Property,
            _ => null,
        };
        return symbol?.OriginalDefinition;
    }

    /// <summary>The receiver of a call, seen through <c>?.</c>.</summary>
    public static IOperation? Receiver(IInvocationOperation invocation)
    {
        if (invocation.Instance is IConditionalAccessInstanceOperation)
        {
            for (IOperation? parent = invocation.Parent; parent is not null; parent = parent.Parent)
            {
                if (parent is IConditionalAccessOperation access)
                {
                    return access.Operation;
                }
            }
        }

        return invocation.Instance;
    }

    public static bool IsRegisterForDispose(IMethodSymbol method)
        => method.Name == "RegisterForDispose" && method.ContainingType?.ToDisplayString() == PluginContext;

    public static bool Is(ITypeSymbol? type, string fullName) => type is not null && type.OriginalDefinition.ToDisplayString() == fullName;

    /// <summary>Whether a type is, derives from, the plugin base class.</summary>
    public static bool IsPluginClass(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? current = type; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString() == PluginBase)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A name of an <c>IPluginContext</c> usable where the operation is: a parameter of its method, else a field or property of its type.</summary>
    public static string? ContextInScope(ISymbol? containing)
    {
        if (containing is IMethodSymbol method)
        {
            foreach (IParameterSymbol parameter in method.Parameters)
            {
                if (Is(parameter.Type, PluginContext))
                {
                    return parameter.Name;
                }
            }
        }

        INamedTypeSymbol? type = containing as INamedTypeSymbol ?? containing?.ContainingType;
        if (type is null)
        {
            return null;
        }

        foreach (ISymbol member in type.GetMembers())
        {
            if ((member is IFieldSymbol { IsImplicitlyDeclared: false } field && Is(field.Type, PluginContext))
                || (member is IPropertySymbol property && Is(property.Type, PluginContext)))
            {
                if (!member.IsStatic || containing is { IsStatic: true })
                {
                    return member.Name;
                }
            }
        }

        return null;
    }

    /// <summary>The outermost type a symbol is declared in: the rules look for the release anywhere in it.</summary>
    public static INamedTypeSymbol Outermost(INamedTypeSymbol type)
    {
        while (type.ContainingType is not null)
        {
            type = type.ContainingType;
        }

        return type;
    }
}
