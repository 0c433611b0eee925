using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Hotswap.Generators;

public sealed partial class PluginContractGenerator
{
    /// <summary>
    /// Reads contracts: turns one <c>[PluginContract]</c> interface symbol into a
    /// <see cref="ContractModel"/> of plain values, or into the diagnostics that say why no proxy can
    /// forward it. It owns every semantic question the generator asks (what a type is, how it is
    /// written, whether a shape is safe to forward) and decides every diagnostic; nothing it returns
    /// holds a symbol, so the pipeline can cache it and the <see cref="Emitter"/> needs no compilation.
    /// </summary>
    internal sealed class Parser
    {
        private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat.WithMiscellaneousOptions(
            SymbolDisplayFormat.FullyQualifiedFormat.MiscellaneousOptions
            | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier
            | SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers);

        private static readonly SymbolDisplayFormat MemberFormat = new(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypes,
            genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
            memberOptions: SymbolDisplayMemberOptions.IncludeContainingType | SymbolDisplayMemberOptions.IncludeParameters,
            parameterOptions: SymbolDisplayParameterOptions.IncludeType,
            miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

        private readonly INamedTypeSymbol _contract;
        private readonly List<DiagnosticInfo> _diagnostics = [];
        private readonly List<MemberModel> _members = [];

        private Parser(INamedTypeSymbol contract) => _contract = contract;

        /// <summary>Parses <paramref name="contract"/>.</summary>
        /// <param name="contract">The interface.</param>
        /// <param name="sameAssembly">Whether the contract is declared in the compilation that will hold the proxy (internal is then enough).</param>
        /// <param name="cancellationToken">Stops the work.</param>
        /// <returns>The contract's model, or its diagnostics.</returns>
        public static ParsedContract Parse(INamedTypeSymbol contract, bool sameAssembly, CancellationToken cancellationToken)
            => new Parser(contract).Run(sameAssembly, cancellationToken);

        /// <summary>Finds and parses the contracts declared in referenced assemblies that can see the attribute.</summary>
        /// <param name="compilation">The host's compilation.</param>
        /// <param name="cancellationToken">Stops the work.</param>
        /// <returns>One result per contract found.</returns>
        public static EquatableArray<ParsedContract> FindReferenced(Compilation compilation, CancellationToken cancellationToken)
        {
            var found = new List<ParsedContract>();
            foreach (IAssemblySymbol assembly in compilation.SourceModule.ReferencedAssemblySymbols)
            {
                if (!assembly.Modules.Any(static m => m.ReferencedAssemblies.Any(static a => a.Name == "Hotswap.Abstractions")))
                {
                    continue; // cannot carry the attribute: skip the frameworks and unrelated libraries
                }

                Walk(assembly.GlobalNamespace, found, cancellationToken);
            }

            return new EquatableArray<ParsedContract>(found.ToArray());
        }

        private static void Walk(INamespaceOrTypeSymbol container, List<ParsedContract> found, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (ISymbol member in container.GetMembers())
            {
                if (member is INamespaceSymbol ns)
                {
                    Walk(ns, found, cancellationToken);
                }
                else if (member is INamedTypeSymbol type)
                {
                    if (type.TypeKind == TypeKind.Interface && type.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == AttributeName))
                    {
                        found.Add(Parse(type, sameAssembly: false, cancellationToken));
                    }

                    if (type.GetTypeMembers().Length > 0)
                    {
                        Walk(type, found, cancellationToken);
                    }
                }
            }
        }

        private ParsedContract Run(bool sameAssembly, CancellationToken cancellationToken)
        {
            string name = _contract.ToDisplayString(TypeFormat);
            Location? where = _contract.Locations.FirstOrDefault();
            if (_contract.IsGenericType)
            {
                _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.GenericContract, where, _contract.ToDisplayString()));
            }

            if (!IsAccessible(_contract, sameAssembly))
            {
                _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InaccessibleContract, where, _contract.ToDisplayString()));
            }

            foreach (INamedTypeSymbol face in new[] { _contract }.Concat(_contract.AllInterfaces))
            {
                string faceName = face.ToDisplayString(TypeFormat);
                bool onContract = SymbolEqualityComparer.Default.Equals(face, _contract);
                foreach (ISymbol member in face.GetMembers())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (member is INamedTypeSymbol || member is IMethodSymbol { MethodKind: not MethodKind.Ordinary })
                    {
                        continue; // nested types; accessors come with their property or event
                    }

                    if (member.IsStatic)
                    {
                        if (member.IsAbstract || member.IsVirtual)
                        {
                            Report(Diagnostics.StaticMember, member);
                        }

                        continue;
                    }

                    if (!member.IsAbstract && !member.IsVirtual)
                    {
                        continue; // sealed or private with a body: runs on the proxy itself, and calls the proxy's members
                    }

                    if (member.DeclaredAccessibility != Accessibility.Public)
                    {
                        Report(Diagnostics.InaccessibleMember, member);
                        continue;
                    }

                    MemberModel? model = member switch
                    {
                        IMethodSymbol method => ParseMethod(method, faceName, onContract),
                        IPropertySymbol property => ParseProperty(property, faceName, onContract),
                        IEventSymbol @event => ParseEvent(@event, faceName, onContract),
                        _ => null,
                    };
                    if (model is not null)
                    {
                        _members.Add(model);
                    }
                }
            }

            if (_diagnostics.Count > 0)
            {
                return new ParsedContract(name, null, new EquatableArray<DiagnosticInfo>(_diagnostics.ToArray()));
            }

            return new ParsedContract(name, new ContractModel(name, ProxyName(_contract), new EquatableArray<MemberModel>(_members.ToArray())), default);
        }

        private MethodModel? ParseMethod(IMethodSymbol method, string face, bool onContract)
        {
            if (method.ReturnsByRef || method.ReturnsByRefReadonly)
            {
                Report(Diagnostics.RefReturn, method);
                return null;
            }

            if (UsesPointers(method.ReturnType) || method.Parameters.Any(p => UsesPointers(p.Type)))
            {
                Report(Diagnostics.PointerType, method);
                return null;
            }

            ReturnKind kind = method.ReturnsVoid ? ReturnKind.Void : Classify(method.ReturnType);
            if (!IsForwardable(kind, method, method.ReturnType, method.Parameters))
            {
                return null;
            }

            return new MethodModel(
                face,
                onContract,
                Escape(method.Name),
                method.ReturnsVoid ? "void" : method.ReturnType.ToDisplayString(TypeFormat),
                kind,
                ElementType(kind, method.ReturnType),
                ToModels(method.TypeParameters, static t => new TypeParameterModel(Escape(t.Name), Constraint(t))),
                ToModels(method.Parameters, Parameter),
                Attributes(method.GetReturnTypeAttributes()));
        }

        private PropertyModel? ParseProperty(IPropertySymbol property, string face, bool onContract)
        {
            if (property.ReturnsByRef || property.ReturnsByRefReadonly)
            {
                Report(Diagnostics.RefReturn, property);
                return null;
            }

            if (property.SetMethod is { IsInitOnly: true })
            {
                Report(Diagnostics.InitAccessor, property);
                return null;
            }

            if (UsesPointers(property.Type) || property.Parameters.Any(p => UsesPointers(p.Type)))
            {
                Report(Diagnostics.PointerType, property);
                return null;
            }

            AccessorModel? getter = property.GetMethod is { } get && IsImplementable(get) ? new AccessorModel(Attributes(get.GetReturnTypeAttributes())) : null;
            AccessorModel? setter = property.SetMethod is { } set && IsImplementable(set) ? new AccessorModel(Attributes(set.Parameters.Last().GetAttributes())) : null;

            // The getter is tracked as a method returning the property's type would be.
            ReturnKind kind = getter is null ? ReturnKind.Value : Classify(property.Type);
            if (!IsForwardable(kind, property, property.Type, property.Parameters))
            {
                return null;
            }

            return new PropertyModel(
                face,
                onContract,
                Escape(property.Name),
                property.Type.ToDisplayString(TypeFormat),
                property.IsIndexer,
                kind,
                ElementType(kind, property.Type),
                ToModels(property.Parameters, Parameter),
                Attributes(property.GetAttributes()),
                getter,
                setter);
        }

        private static EventModel ParseEvent(IEventSymbol @event, string face, bool onContract)
            => new(
                face,
                onContract,
                Escape(@event.Name),
                @event.Type.ToDisplayString(TypeFormat),
                @event.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(TypeFormat));

        /// <summary>Reports what the proxy could not track: an unknown awaitable, or an argument that a deferred call (an enumeration) cannot keep.</summary>
        private bool IsForwardable(ReturnKind kind, ISymbol member, ITypeSymbol type, ImmutableArray<IParameterSymbol> parameters)
        {
            if (kind == ReturnKind.OtherAwaitable)
            {
                Report(Diagnostics.UntrackedAwaitable, member, type.ToDisplayString());
                return false;
            }

            if (kind is ReturnKind.AsyncEnumerable or ReturnKind.Enumerable or ReturnKind.UntypedEnumerable
                && parameters.FirstOrDefault(p => p.RefKind != RefKind.None || p.Type.IsRefLikeType) is { } byRef)
            {
                Report(kind == ReturnKind.AsyncEnumerable ? Diagnostics.AsyncEnumerableByRef : Diagnostics.EnumerableByRef, member, byRef.Name);
                return false;
            }

            return true;
        }

        private void Report(DiagnosticDescriptor descriptor, ISymbol member, params string[] more)
            => _diagnostics.Add(DiagnosticInfo.Create(
                descriptor,
                member.Locations.FirstOrDefault(l => l.IsInSource) ?? _contract.Locations.FirstOrDefault(),
                new[] { member.ToDisplayString(MemberFormat), _contract.ToDisplayString() }.Concat(more).ToArray()));

        private static ParameterModel Parameter(IParameterSymbol parameter)
            => new(
                Escape(parameter.Name),
                parameter.Type.ToDisplayString(TypeFormat),
                parameter.RefKind switch
                {
                    RefKind.Ref => "ref ",
                    RefKind.Out => "out ",
                    RefKind.In => "in ",
                    RefKind.RefReadOnlyParameter => "ref readonly ",
                    _ => "",
                },
                parameter.RefKind switch
                {
                    RefKind.Ref => "ref ",
                    RefKind.Out => "out ",
                    RefKind.In or RefKind.RefReadOnlyParameter => "in ",
                    _ => "",
                },
                parameter.RefKind != RefKind.Out && (parameter.ScopedKind == ScopedKind.ScopedRef || parameter.ScopedKind == ScopedKind.ScopedValue),
                Attributes(parameter.GetAttributes()));

        /// <summary>An explicit implementation restates only <c>class</c>, <c>struct</c> or <c>default</c>.</summary>
        private static string Constraint(ITypeParameterSymbol parameter)
            => parameter.HasReferenceTypeConstraint ? "class" : parameter.HasValueTypeConstraint || parameter.HasUnmanagedTypeConstraint ? "struct" : "default";

        /// <summary>The nullable-analysis attributes, written as C# (without brackets), so the explicit implementation matches the contract's annotations.</summary>
        private static EquatableArray<string> Attributes(ImmutableArray<AttributeData> attributes)
        {
            var written = new List<string>();
            foreach (AttributeData attribute in attributes)
            {
                if (attribute.AttributeClass is not { } type || type.ContainingNamespace?.ToDisplayString() != "System.Diagnostics.CodeAnalysis")
                {
                    continue;
                }

                string text = type.ToDisplayString(TypeFormat);
                if (attribute.ConstructorArguments.Length > 0)
                {
                    text += "(" + string.Join(", ", attribute.ConstructorArguments.Select(a => a.ToCSharpString())) + ")";
                }

                written.Add(text);
            }

            return new EquatableArray<string>(written.ToArray());
        }

        private static string? ElementType(ReturnKind kind, ITypeSymbol type) => kind switch
        {
            ReturnKind.AsyncEnumerable or ReturnKind.Enumerable => ((INamedTypeSymbol)type).TypeArguments[0].ToDisplayString(TypeFormat),
            ReturnKind.UntypedEnumerable => "object?",
            _ => null,
        };

        private static ReturnKind Classify(ITypeSymbol type)
        {
            if (type is INamedTypeSymbol named && named.ContainingNamespace?.ToDisplayString() is { } ns)
            {
                string name = named.MetadataName;
                if (ns == "System.Threading.Tasks" && (name == "Task" || name == "Task`1" || name == "ValueTask" || name == "ValueTask`1"))
                {
                    return ReturnKind.Task;
                }

                if (ns == "System.Collections.Generic" && name == "IAsyncEnumerable`1")
                {
                    return ReturnKind.AsyncEnumerable;
                }

                if (ns == "System.Collections.Generic" && name == "IEnumerable`1")
                {
                    return ReturnKind.Enumerable;
                }

                if (ns == "System.Collections" && name == "IEnumerable")
                {
                    return ReturnKind.UntypedEnumerable;
                }
            }

            bool awaitable = type.GetMembers("GetAwaiter").OfType<IMethodSymbol>().Any(m => !m.IsStatic && m.Parameters.Length == 0 && m.DeclaredAccessibility == Accessibility.Public);
            return awaitable ? ReturnKind.OtherAwaitable : ReturnKind.Value;
        }

        private static bool IsImplementable(IMethodSymbol accessor)
            => !accessor.IsStatic && (accessor.IsAbstract || accessor.IsVirtual) && accessor.DeclaredAccessibility == Accessibility.Public;

        private static bool UsesPointers(ITypeSymbol type) => type switch
        {
            IPointerTypeSymbol or IFunctionPointerTypeSymbol => true,
            IArrayTypeSymbol array => UsesPointers(array.ElementType),
            INamedTypeSymbol named => named.TypeArguments.Any(UsesPointers),
            _ => false,
        };

        private static bool IsAccessible(INamedTypeSymbol contract, bool sameAssembly)
        {
            for (INamedTypeSymbol? type = contract; type is not null; type = type.ContainingType)
            {
                bool ok = type.DeclaredAccessibility == Accessibility.Public
                    || (sameAssembly && (type.DeclaredAccessibility == Accessibility.Internal || type.DeclaredAccessibility == Accessibility.ProtectedOrInternal));
                if (!ok)
                {
                    return false;
                }
            }

            return true;
        }

        private static string ProxyName(INamedTypeSymbol contract)
        {
            string full = contract.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "");
            char[] name = full.ToCharArray();
            for (int i = 0; i < name.Length; i++)
            {
                name[i] = char.IsLetterOrDigit(name[i]) ? name[i] : '_';
            }

            return new string(name) + "_Proxy";
        }

        private static string Escape(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

        private static EquatableArray<TModel> ToModels<TSymbol, TModel>(ImmutableArray<TSymbol> symbols, Func<TSymbol, TModel> parse)
            where TModel : IEquatable<TModel>
            => new(symbols.Select(parse).ToArray());
    }
}
