using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Hotswap.Analyzers;

/// <summary>
/// HSW1008: a plugin object, a plugin type (<c>typeof</c>) or a delegate to plugin code stored into a
/// static of another assembly: assigned to it (<c>Host.Current = this</c>), to an element or member of
/// what it holds (<c>HostApp.Cache.Items[key] = value</c>, key or value), or added to it
/// (<c>HostApp.Cache.Add(value)</c> and the other adding methods of collections).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class HostStaticCacheAnalyzer : DiagnosticAnalyzer
{
    private static readonly ImmutableHashSet<string> s_adders = ImmutableHashSet.Create(
        "Add", "AddRange", "AddOrUpdate", "GetOrAdd", "TryAdd", "Insert", "InsertRange", "Push", "Enqueue", "Set", "SetValue", "TryUpdate", "AddFirst", "AddLast", "Prepend", "Append");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [PinDiagnostics.HostStaticCache];

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            if (!PluginCode.IsPlugin(start.Compilation, start.Options))
            {
                return;
            }

            IAssemblySymbol plugin = start.Compilation.Assembly;
            start.RegisterOperationAction(c => OnAssignment((IAssignmentOperation)c.Operation, plugin, c.ReportDiagnostic), OperationKind.SimpleAssignment, OperationKind.CompoundAssignment, OperationKind.CoalesceAssignment);
            start.RegisterOperationAction(c => OnInvocation((IInvocationOperation)c.Operation, plugin, c.ReportDiagnostic), OperationKind.Invocation);
        });
    }

    private static void OnAssignment(IAssignmentOperation assignment, IAssemblySymbol plugin, System.Action<Diagnostic> report)
    {
        if (HostStatic(assignment.Target, plugin) is not { } root)
        {
            return;
        }

        if (Pinning(assignment.Value, plugin) is { } what)
        {
            report(Diagnostic.Create(PinDiagnostics.HostStaticCache, assignment.Syntax.GetLocation(), what, root));
            return;
        }

        if (assignment.Target is IPropertyReferenceOperation { Arguments.Length: > 0 } indexer)
        {
            foreach (IArgumentOperation key in indexer.Arguments)
            {
                if (Pinning(key.Value, plugin) is { } keyed)
                {
                    report(Diagnostic.Create(PinDiagnostics.HostStaticCache, assignment.Syntax.GetLocation(), keyed, root));
                    return;
                }
            }
        }
    }

    private static void OnInvocation(IInvocationOperation invocation, IAssemblySymbol plugin, System.Action<Diagnostic> report)
    {
        if (invocation.TargetMethod.IsStatic || !s_adders.Contains(invocation.TargetMethod.Name) || HostStatic(PluginCode.Receiver(invocation), plugin) is not { } root)
        {
            return;
        }

        foreach (IArgumentOperation argument in invocation.Arguments)
        {
            if (Pinning(argument.Value, plugin) is { } what)
            {
                report(Diagnostic.Create(PinDiagnostics.HostStaticCache, invocation.Syntax.GetLocation(), what, root));
                return;
            }
        }
    }

    /// <summary>The static of another assembly that <paramref name="operation"/> reads or writes, directly or through instance members, elements and indexers of what it holds.</summary>
    private static string? HostStatic(IOperation? operation, IAssemblySymbol plugin)
    {
        for (int depth = 0; operation is not null && depth < 16; depth++)
        {
            operation = PluginCode.Unwrap(operation);
            switch (operation)
            {
                case IMemberReferenceOperation { Member.IsStatic: true } member and (IFieldReferenceOperation or IPropertyReferenceOperation):
                    return SymbolEqualityComparer.Default.Equals(member.Member.ContainingAssembly, plugin)
                        ? null
                        : member.Member.ContainingType.Name + "." + member.Member.Name;
                case IFieldReferenceOperation field:
                    operation = field.Instance;
                    break;
                case IPropertyReferenceOperation property:
                    operation = property.Instance;
                    break;
                case IArrayElementReferenceOperation element:
                    operation = element.ArrayReference;
                    break;
                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>What in <paramref name="value"/> belongs to the plugin version: an object of a plugin type, a plugin type, a delegate to plugin code.</summary>
    private static string? Pinning(IOperation value, IAssemblySymbol plugin)
    {
        IOperation operation = PluginCode.Unwrap(value);
        switch (operation)
        {
            case ITypeOfOperation type when IsPluginType(type.TypeOperand, plugin):
                return "Type '" + type.TypeOperand.Name + "'";
            case IDelegateCreationOperation { Target: IAnonymousFunctionOperation }:
                return "A lambda";
            case IDelegateCreationOperation { Target: IMethodReferenceOperation method } when SymbolEqualityComparer.Default.Equals(method.Method.ContainingAssembly, plugin):
                return "A delegate to '" + method.Method.Name + "'";
            case IAnonymousFunctionOperation:
                return "A lambda";
            default:
                return IsPluginType(operation.Type, plugin) ? "An object of type '" + operation.Type!.Name + "'" : null;
        }
    }

    private static bool IsPluginType(ITypeSymbol? type, IAssemblySymbol plugin)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                return IsPluginType(array.ElementType, plugin);
            case INamedTypeSymbol named:
                if (SymbolEqualityComparer.Default.Equals(named.ContainingAssembly, plugin))
                {
                    return true;
                }

                foreach (ITypeSymbol argument in named.TypeArguments)
                {
                    if (IsPluginType(argument, plugin))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }
}
