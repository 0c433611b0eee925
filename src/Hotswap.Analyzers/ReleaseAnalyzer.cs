using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Hotswap.Analyzers;

/// <summary>
/// HSW1002 to HSW1007: something the runtime roots until the plugin releases it (a timer, a thread, a
/// registered wait, a GCHandle, a TypeDescriptor provider, a registration on a token the plugin did not
/// create), never released in the outermost type that creates it.
/// </summary>
/// <remarks>
/// What the object becomes decides: discarded (a statement, <c>_ =</c>, a call on it and nothing kept) is
/// reported; created in a <c>using</c> or passed to <c>IPluginContext.RegisterForDispose</c> is released;
/// kept in a local, field or property is reported unless that variable (or a field it is copied to) is
/// released somewhere in the type (<c>Dispose</c>, <c>DisposeAsync</c>, <c>Close</c>, <c>Join</c>,
/// <c>Unregister</c>, <c>Free</c>, <c>TypeDescriptor.RemoveProvider</c>, <c>RegisterForDispose</c>, a
/// <c>using</c> of it). What leaves the type's sight (returned, handed to a method, put in a collection) is
/// not followed and not reported: the rules prefer silence to a false alarm.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class ReleaseAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        [PinDiagnostics.Timer, PinDiagnostics.Thread, PinDiagnostics.RegisteredWait, PinDiagnostics.GCHandle, PinDiagnostics.TypeDescriptorProvider, PinDiagnostics.TokenRegistration];

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

            // One scope per outermost type of the tree (nested types and partial parts in other files included).
            var types = new KnownTypes(start.Compilation);
            start.RegisterSemanticModelAction(c =>
            {
                Dictionary<INamedTypeSymbol, Scope> scopes = PluginTypes.ByType<Scope>();
                PluginTypes.Walk(
                    c.SemanticModel,
                    (type, operation, containing, own) =>
                    {
                        if (!scopes.TryGetValue(type, out Scope? scope))
                        {
                            scopes[type] = scope = new Scope();
                        }

                        scope.Visit(operation, containing, own, types);
                    },
                    c.CancellationToken);
                foreach (Scope scope in scopes.Values)
                {
                    scope.Report(c.ReportDiagnostic);
                }
            });
        });
    }

    /// <summary>What becomes of a created object.</summary>
    private enum Fate
    {
        /// <summary>Nothing keeps it: it can never be released.</summary>
        Discarded,

        /// <summary>A local, field or property keeps it.</summary>
        Kept,

        /// <summary>A <c>using</c> or <c>RegisterForDispose</c> releases it.</summary>
        Released,

        /// <summary>It leaves the type's sight: not followed.</summary>
        Escaped,
    }

    private sealed class KnownTypes(Compilation compilation)
    {
        public INamedTypeSymbol? ThreadingTimer { get; } = compilation.GetTypeByMetadataName("System.Threading.Timer");
        public INamedTypeSymbol? TimersTimer { get; } = compilation.GetTypeByMetadataName("System.Timers.Timer");
        public INamedTypeSymbol? PeriodicTimer { get; } = compilation.GetTypeByMetadataName("System.Threading.PeriodicTimer");
        public INamedTypeSymbol? ITimer { get; } = compilation.GetTypeByMetadataName("System.Threading.ITimer");
        public INamedTypeSymbol? Thread { get; } = compilation.GetTypeByMetadataName("System.Threading.Thread");
        public INamedTypeSymbol? ThreadPool { get; } = compilation.GetTypeByMetadataName("System.Threading.ThreadPool");
        public INamedTypeSymbol? GCHandle { get; } = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.GCHandle");
        public INamedTypeSymbol? StrongGCHandle { get; } = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.GCHandle`1");
        public INamedTypeSymbol? PinnedGCHandle { get; } = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.PinnedGCHandle`1");
        public INamedTypeSymbol? TypeDescriptor { get; } = compilation.GetTypeByMetadataName("System.ComponentModel.TypeDescriptor");
        public INamedTypeSymbol? CancellationToken { get; } = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
        public INamedTypeSymbol? TokenSource { get; } = compilation.GetTypeByMetadataName("System.Threading.CancellationTokenSource");

        public bool IsTimer(ITypeSymbol? type)
            => type is not null && (Same(type, ThreadingTimer) || Same(type, TimersTimer) || Same(type, PeriodicTimer));

        public static bool Same(ITypeSymbol? type, INamedTypeSymbol? known)
            => type is not null && known is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, known);
    }

    private sealed record Acquisition(DiagnosticDescriptor Rule, IOperation Value, Location Location, string Argument, ISymbol Containing, Fate Fate, ISymbol? Owner, string? CalledOnIt)
    {
        /// <summary>For HSW1007: the tokens registered on that may be the host's (one for Register, each argument of CreateLinkedTokenSource).</summary>
        public ImmutableArray<TokenRead> Tokens { get; init; } = [];
    }

    /// <summary>A token read by plugin code: its text, the token source variable it was read from (<c>x.Token</c>) and the variable holding it.</summary>
    private sealed record TokenRead(string Text, ISymbol? Source, ISymbol? Variable);

    private sealed class Scope
    {
        private static readonly SymbolEqualityComparer s_comparer = SymbolEqualityComparer.Default;
        private readonly ConcurrentBag<Acquisition> _acquisitions = [];
        private readonly ConcurrentBag<(ISymbol From, ISymbol To)> _copies = [];
        private readonly ConcurrentDictionary<ISymbol, ISymbol> _tokenOf = new(s_comparer);
        private readonly ConcurrentDictionary<ISymbol, bool> _ownSources = new(s_comparer);
        private readonly ConcurrentDictionary<ISymbol, bool> _escaped = new(s_comparer);
        private readonly ConcurrentDictionary<(string Verb, ISymbol Symbol), bool> _done = new(new VerbComparer());
        private bool _acquiring;

        /// <summary>Records one operation; acquisitions only when <paramref name="own"/> (the tree analyzed), releases always.</summary>
        public void Visit(IOperation operation, ISymbol containing, bool own, KnownTypes types)
        {
            _acquiring = own;
            switch (operation)
            {
                case IObjectCreationOperation creation:
                    OnCreation(creation, containing, types);
                    break;
                case IInvocationOperation invocation:
                    OnInvocation(invocation, containing, types);
                    break;
                case ISimpleAssignmentOperation assignment:
                    OnAssignment(assignment, types);
                    break;
                case IVariableDeclaratorOperation declarator:
                    OnDeclarator(declarator, types);
                    break;
                case IReturnOperation returned:
                    OnReturn(returned);
                    break;
                case IUsingOperation used:
                    OnUsing(used);
                    break;
            }
        }

        private void OnCreation(IObjectCreationOperation creation, ISymbol containing, KnownTypes types)
        {
            ITypeSymbol? type = creation.Type;
            if (types.IsTimer(type))
            {
                Acquire(PinDiagnostics.Timer, creation, type!.ToDisplayString(), containing);
            }
            else if (KnownTypes.Same(type, types.Thread))
            {
                Acquire(PinDiagnostics.Thread, creation, "Thread", containing);
            }
            else if (KnownTypes.Same(type, types.StrongGCHandle) || KnownTypes.Same(type, types.PinnedGCHandle))
            {
                // The typed handles of .NET 9 (a struct each, released by Dispose); WeakGCHandle<T> does not root its target.
                Acquire(PinDiagnostics.GCHandle, creation, type!.Name + "<T>", containing);
            }
            else if (KnownTypes.Same(type, types.TokenSource))
            {
                OwnSource(creation);
            }

            foreach (IArgumentOperation argument in creation.Arguments)
            {
                Escape(argument.Value);
            }
        }

        private void OnInvocation(IInvocationOperation invocation, ISymbol containing, KnownTypes types)
        {
            IMethodSymbol method = invocation.TargetMethod;
            INamedTypeSymbol? owner = method.ContainingType;
            ISymbol? receiver = PluginCode.ReferencedSymbol(PluginCode.Receiver(invocation));
            bool arguments = true;
            switch (method.Name)
            {
                case "CreateTimer" when KnownTypes.Same(method.ReturnType, types.ITimer):
                    Acquire(PinDiagnostics.Timer, invocation, "System.Threading.ITimer", containing);
                    break;
                case "RegisterWaitForSingleObject" or "UnsafeRegisterWaitForSingleObject" when KnownTypes.Same(owner, types.ThreadPool):
                    Acquire(PinDiagnostics.RegisteredWait, invocation, method.Name, containing);
                    arguments = false;
                    break;
                case "Alloc" when KnownTypes.Same(owner, types.GCHandle) && StrongHandle(invocation) is { } kind:
                    Acquire(PinDiagnostics.GCHandle, invocation, "GCHandle (" + kind + ")", containing);
                    arguments = false;
                    break;
                case "AddProvider" or "AddProviderTransparent" when KnownTypes.Same(owner, types.TypeDescriptor) && invocation.Arguments.Length > 0:
                    AcquireProvider(invocation, method.Name, containing);
                    arguments = false;
                    break;
                case "AddAttributes" when KnownTypes.Same(owner, types.TypeDescriptor):
                    Acquire(PinDiagnostics.TypeDescriptorProvider, invocation, method.Name, containing);
                    arguments = false;
                    break;
                case "RemoveProvider" or "RemoveProviderTransparent" when KnownTypes.Same(owner, types.TypeDescriptor) && invocation.Arguments.Length > 0:
                    Done("release", PluginCode.ReferencedSymbol(invocation.Arguments[0].Value));
                    arguments = false;
                    break;
                case "Register" or "UnsafeRegister" when KnownTypes.Same(owner, types.CancellationToken):
                    AcquireRegistration(invocation, containing, types);
                    arguments = false;
                    break;
                case "CreateLinkedTokenSource" when KnownTypes.Same(owner, types.TokenSource):
                    OwnSource(invocation);
                    AcquireLinkedSource(invocation, containing, types);
                    break;
                case "RegisterForDispose" when PluginCode.IsRegisterForDispose(method) && invocation.Arguments.Length == 1:
                    Done("release", PluginCode.ReferencedSymbol(invocation.Arguments[0].Value));
                    arguments = false;
                    break;
                case "Dispose" or "DisposeAsync" or "Close" or "Unregister" or "Join" or "Free":
                    Done(method.Name == "Join" ? "join" : "release", receiver);
                    break;
                case "Start":
                    Done("start", receiver);
                    break;
            }

            if (arguments)
            {
                foreach (IArgumentOperation argument in invocation.Arguments)
                {
                    Escape(argument.Value);
                }
            }
        }

        private void OnAssignment(ISimpleAssignmentOperation assignment, KnownTypes types)
        {
            ISymbol? target = PluginCode.ReferencedSymbol(assignment.Target);
            if (target is null)
            {
                Escape(assignment.Value);
                return;
            }

            Copy(assignment.Value, target, types);
        }

        private void OnDeclarator(IVariableDeclaratorOperation declarator, KnownTypes types)
        {
            if (declarator.GetVariableInitializer() is { } initializer)
            {
                Copy(initializer.Value, declarator.Symbol, types);
            }
        }

        private void OnReturn(IReturnOperation operation) => Escape(operation.ReturnedValue);

        private void OnUsing(IUsingOperation operation) => Done("release", PluginCode.ReferencedSymbol(operation.Resources));

        public void Report(System.Action<Diagnostic> report)
        {
            var copies = _copies.ToLookup(static c => c.From, static c => c.To, s_comparer);
            foreach (Acquisition acquisition in _acquisitions)
            {
                if (acquisition.Fate is Fate.Released or Fate.Escaped)
                {
                    continue;
                }

                bool thread = acquisition.Rule == PinDiagnostics.Thread;
                string? hostToken = null;
                if (acquisition.Rule == PinDiagnostics.TokenRegistration && (hostToken = HostToken(acquisition)) is null)
                {
                    continue; // registered only on the plugin's own tokens
                }

                if (acquisition.Fate == Fate.Discarded)
                {
                    if (!thread || acquisition.CalledOnIt == "Start")
                    {
                        report(Create(acquisition, null, hostToken));
                    }

                    continue;
                }

                // Kept: the variable, and the variables it is copied into (one step: a local stored into a field).
                ISymbol[] holders = [acquisition.Owner!, .. copies[acquisition.Owner!]];
                if (holders.Any(h => _escaped.ContainsKey(h) || _done.ContainsKey((thread ? "join" : "release", h))))
                {
                    continue;
                }

                if (thread && !holders.Any(h => _done.ContainsKey(("start", h))))
                {
                    continue; // a thread never started runs nothing
                }

                report(Create(acquisition, acquisition.Owner, hostToken));
            }
        }

        /// <summary>The first token of the acquisition that the plugin did not create (read from a token source of the type's), or null.</summary>
        private string? HostToken(Acquisition acquisition)
        {
            foreach (TokenRead token in acquisition.Tokens)
            {
                ISymbol? source = token.Source;
                if (source is null && token.Variable is { } variable)
                {
                    _tokenOf.TryGetValue(variable, out source);
                }

                if (source is null || !_ownSources.ContainsKey(source))
                {
                    return token.Text;
                }
            }

            return null;
        }

        private static Diagnostic Create(Acquisition acquisition, ISymbol? owner, string? hostToken)
        {
            ImmutableDictionary<string, string?> properties = ImmutableDictionary<string, string?>.Empty;
            if (acquisition.Rule == PinDiagnostics.Timer || acquisition.Rule == PinDiagnostics.TokenRegistration)
            {
                if (PluginCode.ContextInScope(acquisition.Containing) is { } context)
                {
                    properties = properties.Add(PinDiagnostics.ContextProperty, context);
                }

                INamedTypeSymbol? type = acquisition.Containing as INamedTypeSymbol ?? acquisition.Containing.ContainingType;
                if (owner is IFieldSymbol or IPropertySymbol && !owner.IsStatic && type is not null && PluginCode.IsPluginClass(type)
                    && s_comparer.Equals(owner.ContainingType?.OriginalDefinition, type.OriginalDefinition))
                {
                    ITypeSymbol ownerType = owner is IFieldSymbol f ? f.Type : ((IPropertySymbol)owner).Type;
                    string access = ownerType.IsReferenceType && ownerType.NullableAnnotation != NullableAnnotation.NotAnnotated ? "?." : ".";
                    properties = properties.Add(PinDiagnostics.OnFreeProperty, "true").Add(PinDiagnostics.ReleaseProperty, owner.Name + access + "Dispose();");
                }
            }

            if (acquisition.Rule == PinDiagnostics.TokenRegistration)
            {
                bool linked = acquisition.Argument == "CreateLinkedTokenSource";
                return Diagnostic.Create(
                    acquisition.Rule,
                    acquisition.Location,
                    properties,
                    linked ? "The linked CancellationTokenSource" : "The registration",
                    hostToken,
                    linked ? "the linked source, and every callback registered on its token" : "the callback",
                    linked ? "linked CancellationTokenSource" : "CancellationTokenRegistration");
            }

            return Diagnostic.Create(acquisition.Rule, acquisition.Location, properties, acquisition.Argument);
        }

        private void Acquire(DiagnosticDescriptor rule, IOperation value, string argument, ISymbol containing)
        {
            if (!_acquiring)
            {
                return;
            }

            (Fate fate, ISymbol? owner, string? called) = FateOf(value);
            _acquisitions.Add(new Acquisition(rule, value, value.Syntax.GetLocation(), argument, containing, fate, owner, called));
        }

        private void AcquireProvider(IInvocationOperation invocation, string name, ISymbol containing)
        {
            if (!_acquiring)
            {
                return;
            }

            IOperation provider = PluginCode.Unwrap(invocation.Arguments[0].Value);
            ISymbol? owner = PluginCode.ReferencedSymbol(provider);
            Fate fate = owner is not null ? Fate.Kept : provider is IObjectCreationOperation ? Fate.Discarded : Fate.Escaped;
            _acquisitions.Add(new Acquisition(PinDiagnostics.TypeDescriptorProvider, invocation, invocation.Syntax.GetLocation(), name, containing, fate, owner, null));
        }

        private void AcquireRegistration(IInvocationOperation invocation, ISymbol containing, KnownTypes types)
        {
            if (!_acquiring)
            {
                return;
            }

            if (Read(PluginCode.Receiver(invocation), types) is not { } token)
            {
                return;
            }

            (Fate fate, ISymbol? owner, string? called) = FateOf(invocation);
            _acquisitions.Add(new Acquisition(PinDiagnostics.TokenRegistration, invocation, invocation.Syntax.GetLocation(), "Register", containing, fate, owner, called)
            {
                Tokens = [token],
            });
        }

        /// <summary>
        /// <c>CancellationTokenSource.CreateLinkedTokenSource(token, ...)</c> registers the new source on each token: on a
        /// host token that registration, and the linked source with it, lives until the source is disposed.
        /// </summary>
        private void AcquireLinkedSource(IInvocationOperation invocation, ISymbol containing, KnownTypes types)
        {
            if (!_acquiring)
            {
                return;
            }

            ImmutableArray<TokenRead>.Builder tokens = ImmutableArray.CreateBuilder<TokenRead>();
            foreach (IArgumentOperation argument in invocation.Arguments)
            {
                // params CancellationToken[] or ReadOnlySpan<CancellationToken>: the elements written in the call; a variable passed whole is not followed.
                IOperation value = PluginCode.Unwrap(argument.Value);
                IEnumerable<IOperation> elements = value switch
                {
                    IArrayCreationOperation { Initializer: { } initializer } => initializer.ElementValues,
                    ICollectionExpressionOperation collection => collection.Elements,
                    _ when KnownTypes.Same(value.Type, types.CancellationToken) => [value],
                    _ => [],
                };
                foreach (IOperation element in elements)
                {
                    if (Read(element, types) is { } token)
                    {
                        tokens.Add(token);
                    }
                }
            }

            if (tokens.Count == 0)
            {
                return;
            }

            (Fate fate, ISymbol? owner, string? called) = FateOf(invocation);
            _acquisitions.Add(new Acquisition(PinDiagnostics.TokenRegistration, invocation, invocation.Syntax.GetLocation(), "CreateLinkedTokenSource", containing, fate, owner, called)
            {
                Tokens = tokens.ToImmutable(),
            });
        }

        /// <summary>A token that may be the host's; null for one that never cancels (<c>default</c>, <c>CancellationToken.None</c>) or that the plugin made itself (<c>new CancellationToken(...)</c>).</summary>
        private static TokenRead? Read(IOperation? operation, KnownTypes types)
        {
            IOperation? token = operation is null ? null : PluginCode.Unwrap(operation);
            if (token is null or IDefaultValueOperation or IObjectCreationOperation
                || (token is IPropertyReferenceOperation { Property.Name: "None" } none && KnownTypes.Same(none.Property.ContainingType, types.CancellationToken)))
            {
                return null;
            }

            return new TokenRead(token.Syntax.ToString(), SourceOf(token, types), PluginCode.ReferencedSymbol(token));
        }

        /// <summary>The token source variable of <c>x.Token</c>.</summary>
        private static ISymbol? SourceOf(IOperation token, KnownTypes types)
            => PluginCode.Unwrap(token) is IPropertyReferenceOperation { Property.Name: "Token" } property && KnownTypes.Same(property.Property.ContainingType, types.TokenSource)
                ? PluginCode.ReferencedSymbol(property.Instance)
                : null;

        private void OwnSource(IOperation creation)
        {
            if (FateOf(creation) is (Fate.Kept or Fate.Released, { } owner, _))
            {
                _ownSources[owner] = true;
            }
        }

        private void Copy(IOperation value, ISymbol target, KnownTypes types)
        {
            if (PluginCode.ReferencedSymbol(value) is { } from)
            {
                _copies.Add((from, target.OriginalDefinition));
            }

            if (SourceOf(value, types) is { } source)
            {
                _tokenOf[target.OriginalDefinition] = source;
            }
        }

        private void Escape(IOperation? value)
        {
            if (PluginCode.ReferencedSymbol(value) is { } symbol)
            {
                _escaped[symbol] = true;
            }
        }

        private void Done(string verb, ISymbol? symbol)
        {
            if (symbol is not null)
            {
                _done[(verb, symbol)] = true;
            }
        }

        /// <summary>GCHandle.Alloc(x) and Alloc(x, Normal or Pinned) root x; Weak handles do not, and a kind not known at build time is not guessed.</summary>
        private static string? StrongHandle(IInvocationOperation invocation)
        {
            if (invocation.Arguments.Length < 2)
            {
                return "GCHandleType.Normal";
            }

            return invocation.Arguments[1].Value.ConstantValue is { HasValue: true, Value: int kind }
                ? kind switch { 2 => "GCHandleType.Normal", 3 => "GCHandleType.Pinned", _ => null }
                : null;
        }

        /// <summary>What becomes of the value of <paramref name="value"/>, looking at what uses it.</summary>
        private static (Fate Fate, ISymbol? Owner, string? CalledOnIt) FateOf(IOperation value)
        {
            IOperation current = value;
            IOperation? parent = value.Parent;
            while (parent is IConversionOperation)
            {
                current = parent;
                parent = parent.Parent;
            }

            switch (parent)
            {
                case IExpressionStatementOperation:
                    return (Fate.Discarded, null, null);
                case ISimpleAssignmentOperation assignment when assignment.Value == current:
                    if (assignment.Target is IDiscardOperation)
                    {
                        return (Fate.Discarded, null, null);
                    }

                    return PluginCode.ReferencedSymbol(assignment.Target) is { } target ? (Fate.Kept, target, null) : (Fate.Escaped, null, null);
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    return InUsing(declarator) ? (Fate.Released, declarator.Symbol, null) : (Fate.Kept, declarator.Symbol, null);
                case IFieldInitializerOperation field when field.InitializedFields.Length == 1:
                    return (Fate.Kept, field.InitializedFields[0].OriginalDefinition, null);
                case IPropertyInitializerOperation property when property.InitializedProperties.Length == 1:
                    return (Fate.Kept, property.InitializedProperties[0].OriginalDefinition, null);
                case IArgumentOperation { Parent: IInvocationOperation call } when PluginCode.IsRegisterForDispose(call.TargetMethod):
                    return (Fate.Released, null, null);
                case IUsingOperation:
                    return (Fate.Released, null, null);
                case IInvocationOperation call when call.Instance == current:
                    return call.TargetMethod.Name is "Dispose" or "DisposeAsync" or "Close" or "Unregister" or "Free" or "Join"
                        ? (Fate.Released, null, call.TargetMethod.Name)
                        : (call.Parent is IExpressionStatementOperation ? Fate.Discarded : Fate.Escaped, null, call.TargetMethod.Name);
                default:
                    return (Fate.Escaped, null, null);
            }
        }

        private static bool InUsing(IVariableDeclaratorOperation declarator)
        {
            for (IOperation? parent = declarator.Parent; parent is IVariableDeclarationOperation or IVariableDeclarationGroupOperation or IUsingOperation or IUsingDeclarationOperation; parent = parent.Parent)
            {
                if (parent is IUsingOperation or IUsingDeclarationOperation)
                {
                    return true;
                }
            }

            return false;
        }
    }

    private sealed class VerbComparer : IEqualityComparer<(string Verb, ISymbol Symbol)>
    {
        public bool Equals((string Verb, ISymbol Symbol) x, (string Verb, ISymbol Symbol) y)
            => x.Verb == y.Verb && SymbolEqualityComparer.Default.Equals(x.Symbol, y.Symbol);

        public int GetHashCode((string Verb, ISymbol Symbol) obj)
            => (obj.Verb.GetHashCode() * 397) ^ SymbolEqualityComparer.Default.GetHashCode(obj.Symbol);
    }
}
