using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace Hotswap.Analyzers.CodeFixes;

/// <summary>
/// The mechanical fixes: HSW1001 adds the matching <c>-=</c> to the plugin's <c>OnFreeAsync</c> override
/// (creating it if absent); HSW1002 and HSW1007 hand the timer or the registration to the
/// <c>IPluginContext</c> in scope (<c>context.RegisterForDispose(...)</c>), or, when it is kept in a field or
/// property of the plugin class, dispose it in <c>OnFreeAsync</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PinCodeFixProvider))]
[Shared]
internal sealed class PinCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ["HSW1001", "HSW1002", "HSW1007"];

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (diagnostic.Properties.TryGetValue(PinDiagnostics.ContextProperty, out string? pluginContext) && pluginContext is not null
                && RegisterForDispose(root, node, pluginContext) is { } registered)
            {
                context.RegisterCodeFix(
                    CodeAction.Create($"Hand it to {pluginContext}.RegisterForDispose", _ => Task.FromResult(context.Document.WithSyntaxRoot(registered)), "HotswapRegisterForDispose"),
                    diagnostic);
            }

            if (diagnostic.Properties.TryGetValue(PinDiagnostics.OnFreeProperty, out _)
                && diagnostic.Properties.TryGetValue(PinDiagnostics.ReleaseProperty, out string? release) && release is not null
                && node.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().FirstOrDefault() is { } type)
            {
                string title = diagnostic.Id == "HSW1001" ? "Unsubscribe in OnFreeAsync" : "Dispose it in OnFreeAsync";
                context.RegisterCodeFix(
                    CodeAction.Create(title, token => AddToOnFreeAsync(context.Document, type, release, token), "HotswapOnFree"),
                    diagnostic);
            }
        }
    }

    /// <summary>
    /// <c>new Timer(...);</c> becomes <c>context.RegisterForDispose(new Timer(...));</c>; after <c>x = new Timer(...);</c>
    /// or <c>var x = new Timer(...);</c> comes <c>context.RegisterForDispose(x);</c>.
    /// </summary>
    private static SyntaxNode? RegisterForDispose(SyntaxNode root, SyntaxNode node, string pluginContext)
    {
        if (node is not ExpressionSyntax expression)
        {
            return null;
        }

        switch (expression.Parent)
        {
            case ExpressionStatementSyntax statement:
                return root.ReplaceNode(statement, Register(pluginContext, expression.WithoutTrivia()).WithTriviaFrom(statement));
            case AssignmentExpressionSyntax { Parent: ExpressionStatementSyntax statement } assignment when assignment.Right == expression && assignment.IsKind(SyntaxKind.SimpleAssignmentExpression):
                return assignment.Left is IdentifierNameSyntax { Identifier.ValueText: "_" }
                    ? root.ReplaceNode(statement, Register(pluginContext, expression.WithoutTrivia()).WithTriviaFrom(statement))
                    : InsertAfter(root, statement, Register(pluginContext, assignment.Left.WithoutTrivia()));
            case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } when declarator.Parent is VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0 } statement }:
                return InsertAfter(root, statement, Register(pluginContext, SyntaxFactory.IdentifierName(declarator.Identifier.WithoutTrivia())));
            default:
                return null;
        }
    }

    private static SyntaxNode? InsertAfter(SyntaxNode root, StatementSyntax statement, StatementSyntax added)
        => statement.Parent is BlockSyntax ? root.InsertNodesAfter(statement, [added]) : null;

    private static ExpressionStatementSyntax Register(string pluginContext, ExpressionSyntax disposable)
        => SyntaxFactory.ExpressionStatement(
                SyntaxFactory.InvocationExpression(
                    SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, SyntaxFactory.IdentifierName(pluginContext), SyntaxFactory.IdentifierName("RegisterForDispose")),
                    SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(disposable)))))
            .WithAdditionalAnnotations(Formatter.Annotation);

    /// <summary>Puts <paramref name="release"/> first in the type's <c>OnFreeAsync</c> override, or adds one that does only that.</summary>
    private static async Task<Solution> AddToOnFreeAsync(Document document, TypeDeclarationSyntax type, string release, CancellationToken cancellationToken)
    {
        string newLine = type.SyntaxTree.GetText(cancellationToken).ToString().Contains("\r\n") ? "\r\n" : "\n";
        StatementSyntax statement = SyntaxFactory.ParseStatement(release)
            .WithTrailingTrivia(SyntaxFactory.ElasticEndOfLine(newLine))
            .WithAdditionalAnnotations(Simplifier.Annotation, Formatter.Annotation);
        SemanticModel? model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        IMethodSymbol? existing = model?.GetDeclaredSymbol(type, cancellationToken)?.GetMembers("OnFreeAsync").OfType<IMethodSymbol>()
            .FirstOrDefault(static m => m.IsOverride && m.DeclaringSyntaxReferences.Length > 0);
        if (existing is not null
            && await existing.DeclaringSyntaxReferences[0].GetSyntaxAsync(cancellationToken).ConfigureAwait(false) is MethodDeclarationSyntax method
            && document.Project.Solution.GetDocument(method.SyntaxTree) is { } target
            && await target.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is { } targetRoot)
        {
            return target.WithSyntaxRoot(targetRoot.ReplaceNode(method, WithFirst(method, statement))).Project.Solution;
        }

        var added = (MethodDeclarationSyntax)SyntaxFactory.ParseMemberDeclaration(
            "public override global::System.Threading.Tasks.Task OnFreeAsync(global::System.Threading.CancellationToken cancellationToken)\n{\n"
            + release + "\nreturn global::System.Threading.Tasks.Task.CompletedTask;\n}\n")!;
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        return document.WithSyntaxRoot(root.ReplaceNode(type, type.AddMembers(added.WithLeadingTrivia(SyntaxFactory.EndOfLine(newLine)).WithAdditionalAnnotations(Simplifier.Annotation, Formatter.Annotation)))).Project.Solution;
    }

    private static MethodDeclarationSyntax WithFirst(MethodDeclarationSyntax method, StatementSyntax statement)
    {
        if (method.Body is { } body)
        {
            return method.WithBody(body.WithStatements(body.Statements.Insert(0, statement)));
        }

        if (method.ExpressionBody is not { } arrow)
        {
            return method;
        }

        // An expression body becomes a block: the release first, then the expression (returned, unless the method is async).
        StatementSyntax rest = method.Modifiers.Any(SyntaxKind.AsyncKeyword)
            ? SyntaxFactory.ExpressionStatement(arrow.Expression)
            : SyntaxFactory.ReturnStatement(arrow.Expression);
        return method
            .WithExpressionBody(null)
            .WithSemicolonToken(default)
            .WithBody(SyntaxFactory.Block(statement, rest))
            .WithAdditionalAnnotations(Formatter.Annotation);
    }
}
