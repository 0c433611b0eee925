using Hotswap.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Hotswap.Tests.Generators;

/// <summary>The generator on its own, driven through Roslyn: what it emits for each shape, and what it refuses.</summary>
public sealed class ProxyGeneratorTests
{
    private const string AllShapes = """
        using System;
        using System.Collections.Generic;
        using System.Diagnostics.CodeAnalysis;
        using System.Threading.Tasks;
        using Hotswap;

        namespace Demo;

        public interface IBase { string Name { get; } void Ping(); }

        [PluginContract]
        public interface IEverything : IBase
        {
            event EventHandler? Changed;
            event Action<int> Counted;
            int Count { get; set; }
            string? this[int index, string key] { get; set; }
            int ReadOnly { get; }
            int WriteOnly { set; }
            void Do();
            string Echo(string text, int times = 1, params string[] more);
            int Divide(int a, int b, out int remainder);
            void Bump(ref int value);
            long Sum(in Guid pair, ref readonly int extra);
            bool TryGet(string key, [NotNullWhen(true)] out string? value);
            [return: NotNullIfNotNull(nameof(value))] string? Pass(string? value);
            T Identity<T>(T value);
            T? Find<T>(IReadOnlyList<T> items) where T : class;
            TValue Make<TValue>() where TValue : struct;
            U Convert<T, U>(T value) where T : notnull, IComparable<T> where U : new();
            int Length(ReadOnlySpan<char> text);
            string Describe() => "default";
            Task DoAsync();
            Task<string?> EchoAsync(string text);
            ValueTask PingAsync();
            ValueTask<int> CountAsync(int start);
            IAsyncEnumerable<T> StreamAsync<T>(T first, int count, string label);
            IAsyncEnumerable<int> NoArgsAsync();
            IAsyncEnumerable<string> OneArgAsync(string text);
            Task<string> NameAsync { get; }
            ValueTask<int> SizeAsync { get; }
            Task Ready { get; }
            ValueTask Settled { get; set; }
            IAsyncEnumerable<int> Numbers { get; }
            IEnumerable<string> Lines(int count);
            IEnumerable<T> Repeat<T>(T value, int count);
            IEnumerable<int> Digits { get; }
            IEnumerable<int> this[int from, int to] { get; }
            System.Collections.IEnumerable Untyped();
            string @class(string @event);
            static string Helper() => "static helpers are not forwarded";
            sealed string Sealed() => "sealed members run on the proxy";
        }
        """;

    [Fact]
    public void Generator_NullabilityAttributesAndNamesLikeItsOwn_CompileWithoutWarnings()
    {
        // The fast path and the out-of-line checked path of each member keep the member's nullability
        // (a warning is an error in a project with TreatWarningsAsErrors), and a parameter whose name
        // starts like the generator's own locals is passed as it is.
        GeneratorOutcome outcome = GeneratorHarness.Run("""
            using System.Diagnostics.CodeAnalysis;
            namespace Demo;
            [Hotswap.PluginContract]
            public interface INullable
            {
                [AllowNull] string Name { get; set; }
                [DisallowNull] string? Other { get; set; }
                [NotNull] string? Kept { get; set; }
                [return: NotNull] string? Get();
                int Clash(int __hsTargetX, int __hsFastTargetY);
            }
            """);

        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.CompileErrors);
        Assert.Empty(outcome.Output.GetDiagnostics().Where(static d => d.Severity == DiagnosticSeverity.Warning));
    }

    [Fact]
    public void Generator_EveryShape_EmitsAProxyThatCompiles()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(AllShapes);

        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.CompileErrors);
        Assert.Equal(["Demo_IEverything_Proxy.g.cs", "HotswapProxyRegistration.g.cs"], outcome.Sources.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(outcome.Output.GetDiagnostics().Where(static d => d.Severity == DiagnosticSeverity.Warning));

        string proxy = outcome.Sources["Demo_IEverything_Proxy.g.cs"];
        Assert.Contains("internal sealed class Demo_IEverything_Proxy : global::Hotswap.PluginProxy<global::Demo.IEverything>, global::Demo.IEverything", proxy);
        Assert.Contains("string global::Demo.IBase.Name", proxy);
        Assert.Contains("((global::Demo.IBase)__hsTarget).Ping()", proxy);
        Assert.Contains("return Track(__hsResult, __hsLease);", proxy);
        Assert.Contains("Enumerate<(T, int, string), T>((first, count, label), static (t, __hsState) => t.StreamAsync<T>(__hsState.Item1, __hsState.Item2, __hsState.Item3));", proxy);
        Assert.Contains("CreateEvent<global::System.EventHandler>(", proxy);

        // Properties are tracked as methods are: a task until it completes, a sequence per enumeration.
        Assert.Contains("__hsResult = __hsTarget.NameAsync;", proxy);
        Assert.Contains("__hsResult = __hsTarget.SizeAsync;", proxy);
        Assert.Contains("__hsResult = __hsTarget.Ready;", proxy);
        Assert.Contains("__hsResult = __hsTarget.Settled;", proxy);
        Assert.Contains("return Enumerate<object?, int>(null, static (t, __hsState) => t.Numbers);", proxy);

        // A lazy IEnumerable is enumerated under a lease, as IAsyncEnumerable is.
        Assert.Contains("return Enumerate<int, string>(count, static (t, __hsState) => t.Lines(__hsState));", proxy);
        Assert.Contains("return Enumerate<(T, int), T>((value, count), static (t, __hsState) => t.Repeat<T>(__hsState.Item1, __hsState.Item2));", proxy);
        Assert.Contains("return Enumerate<object?, int>(null, static (t, __hsState) => t.Digits);", proxy);
        Assert.Contains("return Enumerate<(int, int), int>((from, to), static (t, __hsState) => t[__hsState.Item1, __hsState.Item2]);", proxy);
        Assert.Contains("return Enumerate<object?, object?>(null, static (t, __hsState) => global::System.Linq.Enumerable.Cast<object?>(t.Untyped()));", proxy);
        Assert.DoesNotContain("Helper", proxy);
        Assert.DoesNotContain("Sealed", proxy);
        Assert.Contains("global::Hotswap.PluginProxyRegistry.Register<global::Demo.IEverything>(static binding => new global::Hotswap.Generated.Demo_IEverything_Proxy(binding));", outcome.Sources["HotswapProxyRegistration.g.cs"]);
    }

    [Fact]
    public void Generator_ContractInAReferencedAssembly_EmitsTheProxyInTheHost()
    {
        MetadataReference contracts = GeneratorHarness.CompileReference(
            """
            namespace Shared;
            [Hotswap.PluginContract]
            public interface IRemote { int Add(int a, int b); }
            public interface INotAContract { int Add(int a, int b); }
            """,
            "SharedContracts");

        GeneratorOutcome outcome = GeneratorHarness.Run("namespace HostApp; public static class Program { }", extra: [contracts]);

        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.CompileErrors);
        Assert.Equal(["HotswapProxyRegistration.g.cs", "Shared_IRemote_Proxy.g.cs"], outcome.Sources.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Generator_ContractAssemblyWithoutTheRuntime_EmitsNoProxyButStillChecksTheContract()
    {
        GeneratorOutcome valid = GeneratorHarness.Run("[Hotswap.PluginContract] public interface IOk { void Go(); }", host: false);
        Assert.Empty(valid.GeneratorDiagnostics);
        Assert.Empty(valid.Sources);

        GeneratorOutcome invalid = GeneratorHarness.Run("[Hotswap.PluginContract] public interface IBad<T> { void Go(); }", host: false);
        Assert.Equal(["HSW001"], invalid.Ids);
    }

    [Theory]
    [InlineData("HSW001", "public interface IX<T> { T Get(); }", "Plugin contract 'IX<T>' is generic")]
    [InlineData("HSW002", "public interface IX { ref int Slot(); }", "Member 'IX.Slot()' of plugin contract 'IX' returns by reference")]
    [InlineData("HSW002", "public interface IX { ref readonly int Slot { get; } }", "Member 'IX.Slot' of plugin contract 'IX' returns by reference")]
    [InlineData("HSW003", "public interface IX { static abstract IX Create(); }", "Member 'IX.Create()' of plugin contract 'IX' is static abstract or static virtual")]
    [InlineData("HSW004", "public interface IX { Awaitable Later(); } public sealed class Awaitable { public System.Runtime.CompilerServices.TaskAwaiter GetAwaiter() => default; }", "returns 'Awaitable', which is awaitable but not Task")]
    [InlineData("HSW004", "public interface IX { Awaitable Later { get; } } public sealed class Awaitable { public System.Runtime.CompilerServices.TaskAwaiter GetAwaiter() => default; }", "Member 'IX.Later' of plugin contract 'IX' returns 'Awaitable', which is awaitable but not Task")]
    [InlineData("HSW005", "public interface IX { protected void Hidden(); }", "Member 'IX.Hidden()' of plugin contract 'IX' is not public")]
    [InlineData("HSW006", "public class Outer { [Hotswap.PluginContract] private interface IHidden { void Go(); } } public interface IX { }", "Plugin contract 'Outer.IHidden' is not accessible from generated code")]
    [InlineData("HSW007", "public unsafe interface IX { void Poke(int* where); }", "Member 'IX.Poke(int*)' of plugin contract 'IX' uses a pointer")]
    [InlineData("HSW008", "public interface IX { System.Collections.Generic.IAsyncEnumerable<int> Stream(ref int start); }", "takes parameter 'start' by reference or as a ref struct")]
    [InlineData("HSW008", "public interface IX { System.Collections.Generic.IAsyncEnumerable<char> Stream(System.ReadOnlySpan<char> text); }", "takes parameter 'text' by reference or as a ref struct")]
    [InlineData("HSW008", "public interface IX { System.Collections.Generic.IAsyncEnumerable<char> this[System.ReadOnlySpan<char> text] { get; } }", "takes parameter 'text' by reference or as a ref struct")]
    [InlineData("HSW009", "public interface IX { int Size { get; init; } }", "Property 'IX.Size' of plugin contract 'IX' has an init accessor")]
    [InlineData("HSW010", "public interface IX { System.Collections.Generic.IEnumerable<int> Parse(string text, out int count); }", "Member 'IX.Parse(string, int)' of plugin contract 'IX' returns IEnumerable or IEnumerable<T> and takes parameter 'count' by reference")]
    [InlineData("HSW010", "public interface IX { System.Collections.IEnumerable Split(System.ReadOnlySpan<char> text); }", "takes parameter 'text' by reference or as a ref struct")]
    [InlineData("HSW010", "public interface IX { System.Collections.Generic.IEnumerable<char> this[in System.Guid id] { get; } }", "takes parameter 'id' by reference or as a ref struct")]
    public void Generator_UnsupportedShape_ReportsItsDiagnosticAndEmitsNoProxy(string id, string source, string message)
    {
        GeneratorOutcome outcome = GeneratorHarness.Run("[Hotswap.PluginContract] " + source);

        Diagnostic diagnostic = Assert.Single(outcome.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("Subject.cs", diagnostic.Location.GetLineSpan().Path); // points at the contract's source
        Assert.Empty(outcome.Sources);
    }

    [Fact]
    public void Generator_UnsupportedShapeInAReferencedContract_IsReportedInTheHost()
    {
        MetadataReference contracts = GeneratorHarness.CompileReference(
            "namespace Shared; [Hotswap.PluginContract] public interface IRemote { ref int Slot(); }",
            "SharedBadContracts");

        GeneratorOutcome outcome = GeneratorHarness.Run("namespace HostApp; public static class Program { }", extra: [contracts]);

        Diagnostic diagnostic = Assert.Single(outcome.GeneratorDiagnostics);
        Assert.Equal("HSW002", diagnostic.Id);
        Assert.Empty(outcome.Sources);
    }

    [Fact]
    public void Generator_UnrelatedEdit_KeepsTheModelsAndEmitsNothingAgain()
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = RunTracked(AllShapes);

        // A comment before the contract (so every location in the file moves) and a new file.
        SyntaxTree subject = compilation.SyntaxTrees.Single();
        Compilation edited = compilation
            .ReplaceSyntaxTree(subject, GeneratorHarness.ParseText("// an unrelated comment\n" + AllShapes, subject.FilePath))
            .AddSyntaxTrees(GeneratorHarness.ParseText("namespace Demo; public static class Unrelated { }", "Unrelated.cs"));
        GeneratorRunResult run = driver.RunGenerators(edited).GetRunResult().Results.Single();

        Assert.All(Reasons(run.TrackedSteps[PluginContractGenerator.DeclaredStep]), static r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.All(Reasons(run.TrackedSteps[PluginContractGenerator.ReferencedStep]), static r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.All(Reasons(run.TrackedOutputSteps.SelectMany(static s => s.Value)), static r => Assert.Equal(IncrementalStepRunReason.Cached, r));
    }

    [Fact]
    public void Generator_ContractEdit_EmitsTheProxyAgain()
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = RunTracked(AllShapes);

        SyntaxTree subject = compilation.SyntaxTrees.Single();
        Compilation edited = compilation.ReplaceSyntaxTree(subject, GeneratorHarness.ParseText(AllShapes.Replace("void Do();", "void Do(); void DoMore();", StringComparison.Ordinal), subject.FilePath));
        GeneratorRunResult run = driver.RunGenerators(edited).GetRunResult().Results.Single();

        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(run.TrackedSteps[PluginContractGenerator.DeclaredStep]));
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(run.TrackedOutputSteps.SelectMany(static s => s.Value)));
        Assert.Contains("DoMore()", run.GeneratedSources.Single(static s => s.HintName == "Demo_IEverything_Proxy.g.cs").SourceText.ToString(), StringComparison.Ordinal);
    }

    private static (GeneratorDriver Driver, CSharpCompilation Compilation) RunTracked(string source)
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(source);
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new PluginContractGenerator().AsSourceGenerator()],
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGenerators(compilation);
        Assert.Equal(2, driver.GetRunResult().GeneratedTrees.Length);
        return (driver, compilation);
    }

    private static IncrementalStepRunReason[] Reasons(IEnumerable<IncrementalGeneratorRunStep> steps)
        => [.. steps.SelectMany(static s => s.Outputs).Select(static o => o.Reason)];
}
