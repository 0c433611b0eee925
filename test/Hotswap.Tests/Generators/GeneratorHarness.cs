using System.Collections.Immutable;
using Hotswap.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Hotswap.Tests.Generators;

/// <summary>Compiles C# with Roslyn, runs the proxy generator on it, and reports what came out.</summary>
internal static class GeneratorHarness
{
    // The framework, the Hotswap runtime and its abstractions: never the test's own contract assemblies.
    private static readonly ImmutableArray<MetadataReference> s_references = [.. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
        .Split(Path.PathSeparator)
        .Where(static p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            && (Path.GetDirectoryName(p) == Path.GetDirectoryName(typeof(object).Assembly.Location)
                || Path.GetFileName(p) is "Hotswap.dll" or "Hotswap.Abstractions.dll" or "Microsoft.Extensions.Logging.Abstractions.dll"))
        .Select(static p => MetadataReference.CreateFromFile(p))];

    /// <summary>Runs the generator on <paramref name="source"/>, with the Hotswap runtime referenced (a host) or not (a contract assembly).</summary>
    public static GeneratorOutcome Run(string source, bool host = true, IEnumerable<MetadataReference>? extra = null, string assemblyName = "Subject")
    {
        CSharpCompilation compilation = CreateCompilation(source, host, extra, assemblyName);
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new PluginContractGenerator())
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        GeneratorDriverRunResult run = driver.GetRunResult();
        return new GeneratorOutcome(
            compilation,
            output,
            diagnostics,
            [.. output.GetDiagnostics().Where(static d => d.Severity == DiagnosticSeverity.Error)],
            run.Results.SelectMany(static r => r.GeneratedSources).ToDictionary(static s => s.HintName, static s => s.SourceText.ToString(), StringComparer.Ordinal));
    }

    /// <summary>The compilation <see cref="Run"/> gives the generator: <paramref name="source"/> as Subject.cs, with the Hotswap runtime referenced (a host) or not.</summary>
    public static CSharpCompilation CreateCompilation(string source, bool host = true, IEnumerable<MetadataReference>? extra = null, string assemblyName = "Subject")
    {
        IEnumerable<MetadataReference> references = host
            ? s_references
            : s_references.Where(static r => Path.GetFileName(r.Display) != "Hotswap.dll");
        return CSharpCompilation.Create(
            assemblyName,
            [ParseText(source, "Subject.cs")],
            references.Concat(extra ?? []),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
    }

    /// <summary>Parses <paramref name="source"/> as the harness's compilations do.</summary>
    public static SyntaxTree ParseText(string source, string path) => CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: path);

    /// <summary>Compiles <paramref name="source"/> into an in-memory assembly, for use as a referenced contract assembly.</summary>
    public static MetadataReference CompileReference(string source, string assemblyName)
    {
        CSharpCompilation compilation = CSharpCompilation.Create(
            assemblyName,
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))],
            s_references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var stream = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join(Environment.NewLine, emitted.Diagnostics));
        return MetadataReference.CreateFromImage(stream.ToArray());
    }
}

internal sealed record GeneratorOutcome(
    Compilation Input,
    Compilation Output,
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    IReadOnlyList<Diagnostic> CompileErrors,
    IReadOnlyDictionary<string, string> Sources)
{
    public IEnumerable<string> Ids => GeneratorDiagnostics.Select(static d => d.Id);
}
