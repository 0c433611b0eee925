using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Hotswap.Analyzers;

/// <summary>
/// Walks the code of each outermost type of a syntax tree, nested types and the type's partial parts in
/// other files included: the rules that look for a release "anywhere in the type" see it all, and report
/// only in the tree analyzed, so that their diagnostics stay local (the IDE shows them as you type and
/// offers their code fixes).
/// </summary>
internal static class PluginTypes
{
    /// <summary>Calls <paramref name="visit"/> for every operation of every outermost type in the tree; <c>own</c> is false for partial parts in other trees.</summary>
    public static void Walk(SemanticModel model, Action<INamedTypeSymbol, IOperation, ISymbol, bool> visit, CancellationToken cancellationToken)
    {
        SyntaxNode root = model.SyntaxTree.GetRoot(cancellationToken);
        foreach (TypeDeclarationSyntax declaration in root.DescendantNodes(static n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax).OfType<TypeDeclarationSyntax>())
        {
            if (model.GetDeclaredSymbol(declaration, cancellationToken) is not INamedTypeSymbol type)
            {
                continue;
            }

            WalkDeclaration(model, declaration, type, own: true, visit, cancellationToken);
            foreach (SyntaxReference other in type.DeclaringSyntaxReferences)
            {
                if (other.SyntaxTree == model.SyntaxTree || other.GetSyntax(cancellationToken) is not TypeDeclarationSyntax part)
                {
                    continue;
                }

                // A partial type's other files: their releases count here. Only for types declared in several files.
#pragma warning disable RS1030 // the semantic model of another part of the same type is the only way to see its code
                SemanticModel otherModel = model.Compilation.GetSemanticModel(other.SyntaxTree);
#pragma warning restore RS1030
                WalkDeclaration(otherModel, part, type, own: false, visit, cancellationToken);
            }
        }
    }

    private static void WalkDeclaration(SemanticModel model, TypeDeclarationSyntax declaration, INamedTypeSymbol type, bool own, Action<INamedTypeSymbol, IOperation, ISymbol, bool> visit, CancellationToken cancellationToken)
    {
        foreach (SyntaxNode node in declaration.DescendantNodes())
        {
            (SyntaxNode? body, SyntaxNode? declarer) = node switch
            {
                BaseMethodDeclarationSyntax method => (method, method),
                AccessorDeclarationSyntax accessor => (accessor, accessor),
                ArrowExpressionClauseSyntax { Parent: BasePropertyDeclarationSyntax property } arrow => (arrow, property),
                EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent.Parent: BaseFieldDeclarationSyntax } declarator } initializer => (initializer, declarator),
                EqualsValueClauseSyntax { Parent: PropertyDeclarationSyntax property } initializer => (initializer, property),
                _ => ((SyntaxNode?)null, (SyntaxNode?)null),
            };
            if (body is null || declarer is null || model.GetOperation(body, cancellationToken) is not { } operation || model.GetDeclaredSymbol(declarer, cancellationToken) is not { } containing)
            {
                continue;
            }

            foreach (IOperation descendant in operation.DescendantsAndSelf())
            {
                visit(type, descendant, containing, own);
            }
        }
    }

    /// <summary>A dictionary keyed by symbols.</summary>
    public static Dictionary<INamedTypeSymbol, T> ByType<T>() => new(SymbolEqualityComparer.Default);
}
