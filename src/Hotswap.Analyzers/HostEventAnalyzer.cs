using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Hotswap.Analyzers;

/// <summary>
/// HSW1001: a handler added to an event whose owner outlives the plugin version (a static event of a type
/// in another assembly, an event of <c>AppDomain</c>, of which there is one per process, or an event of a
/// load context the host owns: <c>AssemblyLoadContext.Default</c>, or the context of an assembly that is
/// always shared), with no <c>-=</c> of the same event and the same handler (method, field, property or
/// local) anywhere in the outermost type that subscribes (partial parts and nested types included).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class HostEventAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [PinDiagnostics.HostEvent];

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

            // Subscriptions of this tree and removals of the whole type (nested types and partial parts in other files included).
            var owners = new HostOwners(start.Compilation);
            start.RegisterSemanticModelAction(c =>
            {
                var added = new List<(IEventAssignmentOperation Operation, ISymbol Containing, INamedTypeSymbol Outermost, string Owner)>();
                var removed = new HashSet<(ISymbol Type, ISymbol Event, ISymbol Handler)>(KeyComparer.Instance);
                PluginTypes.Walk(
                    c.SemanticModel,
                    (outermost, operation, containing, own) =>
                    {
                        if (operation is not IEventAssignmentOperation { EventReference: IEventReferenceOperation reference } assignment || owners.Of(reference) is not { } owner)
                        {
                            return;
                        }

                        if (assignment.Adds)
                        {
                            if (own)
                            {
                                added.Add((assignment, containing, outermost, owner));
                            }
                        }
                        else if (HandlerKey(assignment.HandlerValue) is { } handler)
                        {
                            removed.Add((outermost, reference.Event.OriginalDefinition, handler));
                        }
                    },
                    c.CancellationToken);
                foreach ((IEventAssignmentOperation operation, ISymbol containing, INamedTypeSymbol outermost, string owner) in added)
                {
                    IEventSymbol @event = ((IEventReferenceOperation)operation.EventReference).Event;
                    ISymbol? handler = HandlerKey(operation.HandlerValue);
                    if (handler is not null && removed.Contains((outermost, @event.OriginalDefinition, handler)))
                    {
                        continue;
                    }

                    c.ReportDiagnostic(Diagnostic.Create(
                        PinDiagnostics.HostEvent,
                        operation.Syntax.GetLocation(),
                        FixProperties(operation, owner, handler, containing),
                        @event.ContainingType.Name + "." + @event.Name,
                        outermost.Name));
                }
            });
        });
    }

    /// <summary>What identifies a handler for its removal: a method group's method, or the variable holding the delegate; a lambda has none.</summary>
    private static ISymbol? HandlerKey(IOperation handler)
        => PluginCode.Unwrap(handler) switch
        {
            IDelegateCreationOperation { Target: IMethodReferenceOperation method } => method.Method.OriginalDefinition,
            IMethodReferenceOperation method => method.Method.OriginalDefinition,
            IDelegateCreationOperation => null,
            IAnonymousFunctionOperation => null,
            var other => PluginCode.ReferencedSymbol(other),
        };

    /// <summary>The <c>-=</c> the code fix adds to OnFreeAsync, when the subscription is in a plugin class and its handler can be named there.</summary>
    private static ImmutableDictionary<string, string?> FixProperties(IEventAssignmentOperation operation, string eventOwner, ISymbol? handler, ISymbol containing)
    {
        ImmutableDictionary<string, string?> none = ImmutableDictionary<string, string?>.Empty;
        INamedTypeSymbol? type = containing as INamedTypeSymbol ?? containing.ContainingType;
        if (handler is null || type is null || !PluginCode.IsPluginClass(type) || containing.IsStatic && handler is not IMethodSymbol { IsStatic: true })
        {
            return none;
        }

        IOperation value = PluginCode.Unwrap(operation.HandlerValue);
        IOperation? receiver = value switch
        {
            IDelegateCreationOperation { Target: IMethodReferenceOperation method } => method.Instance,
            IMethodReferenceOperation method => method.Instance,
            IMemberReferenceOperation member => member.Instance,
            _ => null,
        };
        bool nameable = handler switch
        {
            IMethodSymbol or IFieldSymbol or IPropertySymbol => handler.IsStatic || receiver is IInstanceReferenceOperation,
            _ => false, // a local or a parameter does not exist in OnFreeAsync
        };
        if (!nameable || (handler.ContainingType is { } owner && !SymbolEqualityComparer.Default.Equals(owner.OriginalDefinition, type.OriginalDefinition) && !handler.IsStatic))
        {
            return none;
        }

        string target = eventOwner + "." + ((IEventReferenceOperation)operation.EventReference).Event.Name;
        return none
            .Add(PinDiagnostics.OnFreeProperty, "true")
            .Add(PinDiagnostics.ReleaseProperty, target + " -= " + operation.HandlerValue.Syntax.ToString() + ";");
    }

    private sealed class KeyComparer : IEqualityComparer<(ISymbol Type, ISymbol Event, ISymbol Handler)>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals((ISymbol Type, ISymbol Event, ISymbol Handler) x, (ISymbol Type, ISymbol Event, ISymbol Handler) y)
            => SymbolEqualityComparer.Default.Equals(x.Type, y.Type) && SymbolEqualityComparer.Default.Equals(x.Event, y.Event) && SymbolEqualityComparer.Default.Equals(x.Handler, y.Handler);

        public int GetHashCode((ISymbol Type, ISymbol Event, ISymbol Handler) obj)
            => (((SymbolEqualityComparer.Default.GetHashCode(obj.Type) * 397) ^ SymbolEqualityComparer.Default.GetHashCode(obj.Event)) * 397) ^ SymbolEqualityComparer.Default.GetHashCode(obj.Handler);
    }
}
