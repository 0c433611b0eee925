using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Hotswap.Generators;

/// <summary>
/// Generates a proxy for every interface marked <c>[PluginContract]</c>, declared in the
/// compilation or in an assembly it references, and registers each from a module initializer so
/// <c>PluginHost.GetProxy&lt;T&gt;</c> finds it without reflection.
/// </summary>
/// <remarks>
/// <para>
/// This part owns the incremental pipeline and nothing else: the <see cref="Parser"/> turns each
/// contract's symbol into a <see cref="ParsedContract"/> (an equatable model and its diagnostics),
/// which is what the pipeline caches; the output step reports the diagnostics and hands each model
/// to the <see cref="Emitter"/>. An edit that leaves every model equal re-emits nothing.
/// </para>
/// <para>
/// Proxies are emitted only into a compilation that references the Hotswap runtime (a host): a
/// contract assembly gets the diagnostics for its contracts, the host gets the proxies.
/// </para>
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed partial class PluginContractGenerator : IIncrementalGenerator
{
    /// <summary>The tracking name of the step that parses the contracts declared in the compilation.</summary>
    internal const string DeclaredStep = "DeclaredContracts";

    /// <summary>The tracking name of the step that parses the contracts of referenced assemblies.</summary>
    internal const string ReferencedStep = "ReferencedContracts";

    private const string AttributeName = "Hotswap.PluginContractAttribute";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValueProvider<bool> isHost = context.CompilationProvider
            .Select(static (compilation, _) => compilation.GetTypeByMetadataName("Hotswap.PluginProxy`1") is not null);

        IncrementalValuesProvider<ParsedContract> declared = context.SyntaxProvider.ForAttributeWithMetadataName(
                AttributeName,
                static (node, _) => node is InterfaceDeclarationSyntax,
                static (syntax, cancellationToken) => Parser.Parse((INamedTypeSymbol)syntax.TargetSymbol, sameAssembly: true, cancellationToken))
            .WithTrackingName(DeclaredStep);

        // Runs again on every compilation; its result is compared by value, so an unchanged set of
        // referenced contracts stops there.
        IncrementalValueProvider<EquatableArray<ParsedContract>> referenced = context.CompilationProvider
            .Combine(isHost)
            .Select(static (input, cancellationToken) => input.Right ? Parser.FindReferenced(input.Left, cancellationToken) : default)
            .WithTrackingName(ReferencedStep);

        context.RegisterSourceOutput(
            declared.Collect().Combine(referenced).Combine(isHost),
            static (output, input) => Emit(output, input.Left.Left, input.Left.Right, input.Right));
    }

    private static void Emit(SourceProductionContext output, ImmutableArray<ParsedContract> declared, EquatableArray<ParsedContract> referenced, bool isHost)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var emitted = new List<ContractModel>();
        foreach (ParsedContract contract in declared.Concat(referenced))
        {
            if (!seen.Add(contract.Name))
            {
                continue;
            }

            foreach (DiagnosticInfo diagnostic in contract.Diagnostics)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            }

            if (isHost && contract.Model is { } model)
            {
                output.AddSource(model.ProxyName + ".g.cs", Emitter.EmitProxy(model));
                emitted.Add(model);
            }
        }

        if (emitted.Count > 0)
        {
            output.AddSource("HotswapProxyRegistration.g.cs", Emitter.EmitRegistration(emitted));
        }
    }
}
