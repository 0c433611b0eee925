using System.Collections.Immutable;
using Hotswap.Analyzers.CodeFixes;
using Hotswap.Tests.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Hotswap.Tests.Analyzers;

/// <summary>
/// Runs a plugin analyzer (and its code fix) through the Roslyn test harness on plugin code: the source
/// given, an assembly marked <c>[assembly: HotswapPlugin(...)]</c>, compiled against the running
/// framework, Hotswap.Abstractions and a host assembly (<see cref="HostSource"/>) that owns static events
/// and caches. No reference package is downloaded.
/// </summary>
internal static class PluginAnalyzerTest
{
    /// <summary>The host's side: a static event and static caches of another assembly than the plugin's.</summary>
    public const string HostSource = """
        namespace HostApp;

        public static class HostEvents
        {
            public static event System.EventHandler? Tick;

            public static void Raise() => Tick?.Invoke(null, System.EventArgs.Empty);
        }

        public sealed class Registry
        {
            public System.Collections.Generic.Dictionary<string, object> Items { get; } = new();
        }

        public static class Cache
        {
            public static object? Current;

            public static Registry Registry { get; } = new();

            public static System.Collections.Generic.Dictionary<string, object> Items { get; } = new();

            public static System.Collections.Generic.Dictionary<System.Type, string> ByType { get; } = new();

            public static System.Collections.Generic.List<object> All { get; } = new();
        }
        """;

    private const string PluginAttribute = "[assembly: Hotswap.HotswapPlugin(typeof(object))]\n";

    private static readonly Lazy<MetadataReference> s_host = new(() => GeneratorHarness.CompileReference(HostSource, "HostApp"));

    private static readonly ImmutableArray<MetadataReference> s_references = [.. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
        .Split(Path.PathSeparator)
        .Where(static p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            && (Path.GetDirectoryName(p) == Path.GetDirectoryName(typeof(object).Assembly.Location)
                || Path.GetFileName(p) is "Hotswap.Abstractions.dll" or "Microsoft.Extensions.Logging.Abstractions.dll"))
        .Select(static p => MetadataReference.CreateFromFile(p))];

    /// <summary>Checks that <typeparamref name="TAnalyzer"/> reports exactly the diagnostics marked in <paramref name="source"/> (<c>{|HSW1001:...|}</c>) and <paramref name="otherFile"/>.</summary>
    public static Task VerifyAsync<TAnalyzer>(string source, bool plugin = true, string? globalConfig = null, string? otherFile = null)
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier> { TestCode = source };
        if (otherFile is not null)
        {
            test.TestState.Sources.Add(("Other.cs", otherFile));
        }

        test.SolutionTransforms.Add(EnableNullable);
        Configure(test.TestState, plugin, globalConfig);
        test.ReferenceAssemblies = new ReferenceAssemblies("net10.0");
        return test.RunAsync();
    }

    /// <summary>Checks the diagnostics marked in <paramref name="source"/>, then that the code fix with <paramref name="equivalenceKey"/> turns it into <paramref name="fixedSource"/>.</summary>
    public static Task VerifyFixAsync<TAnalyzer>(string source, string fixedSource, string equivalenceKey)
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        var test = new CSharpCodeFixTest<TAnalyzer, PinCodeFixProvider, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = equivalenceKey,
        };
        test.SolutionTransforms.Add(EnableNullable);
        Configure(test.TestState, plugin: true, globalConfig: null);
        Configure(test.FixedState, plugin: true, globalConfig: null);
        test.ReferenceAssemblies = new ReferenceAssemblies("net10.0");
        return test.RunAsync();
    }

    /// <summary>Plugin projects build with nullable on, as this repository's do.</summary>
    private static Solution EnableNullable(Solution solution, ProjectId id)
        => solution.WithProjectCompilationOptions(id, ((CSharpCompilationOptions)solution.GetProject(id)!.CompilationOptions!).WithNullableContextOptions(NullableContextOptions.Enable));

    private static void Configure(SolutionState state, bool plugin, string? globalConfig)
    {
        if (plugin)
        {
            state.Sources.Add(("PluginAttribute.cs", PluginAttribute));
        }

        if (globalConfig is not null)
        {
            state.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\n" + globalConfig + "\n"));
        }

        state.AdditionalReferences.AddRange(s_references);
        state.AdditionalReferences.Add(s_host.Value);
    }
}
