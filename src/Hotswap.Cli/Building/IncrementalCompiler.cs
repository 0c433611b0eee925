using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Hotswap.Cli.Building;

/// <summary>
/// The fast path of <c>hotswap watch</c>: the plugin project's own compiler invocation, kept warm in
/// this process, so that a saved source change is compiled in a fraction of a second instead of a
/// <c>dotnet publish</c> (which spends most of its time starting MSBuild and evaluating the project).
/// </summary>
/// <remarks>
/// <para>
/// The compiler's arguments are the project's, exactly: MSBuild computes them once with
/// <c>ProvideCommandLineArgs</c> and <c>SkipCompilerExecution</c> (what IDEs do for a design-time
/// build), and Roslyn's command-line parser turns them into the same options, references, defines,
/// source generators and analyzer configuration the build uses. Only the changed source files are
/// parsed again; the compilation, its references and the source generator driver are reused.
/// </para>
/// <para>
/// It applies only when every changed file is one of the project's compiled sources. A new or deleted
/// file, a project, props, targets, resource or JSON file, or a change in another project of the graph
/// takes the full build, which also refreshes these arguments. Anything the fast path cannot do the
/// same way (a generator that fails to load, an error the full build might judge differently) also
/// takes the full build, so what it publishes never depends on which path built it. Diagnostic
/// analyzers do not run here (source generators do): <c>hotswap build</c> runs them, and so does the
/// next full build of <c>watch</c>.
/// </para>
/// </remarks>
internal sealed class IncrementalCompiler
{
    private static readonly string s_nonExistentFile = Path.Combine("__hotswap_nonexistent__", "__hotswap_nonexistent__");

    private readonly CSharpCommandLineArguments _arguments;
    private readonly Dictionary<string, SyntaxTree> _sources;
    private readonly string _pdbPath;
    private CSharpCompilation _compilation;
    private GeneratorDriver _generators;

    private IncrementalCompiler(CSharpCommandLineArguments arguments, Dictionary<string, SyntaxTree> sources, CSharpCompilation compilation, GeneratorDriver generators)
    {
        _arguments = arguments;
        _sources = sources;
        _compilation = compilation;
        _generators = generators;
        _pdbPath = arguments.PdbPath ?? Path.ChangeExtension(Path.Combine(arguments.OutputDirectory, arguments.OutputFileName ?? "out.dll"), ".pdb");
    }

    /// <summary>Gets the file name of the assembly this project compiles to, for example <c>World.dll</c>.</summary>
    public string OutputFileName => _arguments.OutputFileName!;

    /// <summary>Gets the project's compiled source files (full paths).</summary>
    public IReadOnlyCollection<string> SourceFiles => _sources.Keys;

    /// <summary>
    /// Asks MSBuild for the project's compiler arguments and prepares a warm compiler from them; returns
    /// <see langword="null"/> with the reason when the project cannot take the fast path (the build
    /// then always runs in full).
    /// </summary>
    /// <param name="project">The project file.</param>
    /// <param name="configuration">The build configuration.</param>
    /// <param name="msbuildArguments">The user's extra MSBuild arguments, which may change the compiler's.</param>
    /// <param name="cancellationToken">Stops the capture.</param>
    /// <returns>The compiler, or the reason there is none.</returns>
    public static async Task<(IncrementalCompiler? Compiler, string? Reason)> CaptureAsync(string project, string configuration, IReadOnlyList<string> msbuildArguments, CancellationToken cancellationToken)
    {
        try
        {
            return await CaptureCoreAsync(project, configuration, msbuildArguments, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The fast path is optional: whatever goes wrong preparing it (an unreadable file, a reference the
            // compiler cannot read, an analyzer that throws), every change then takes the full build.
            return (null, $"the in-process compiler could not be prepared ({ex.GetType().Name}: {ex.Message})");
        }
    }

    private static async Task<(IncrementalCompiler? Compiler, string? Reason)> CaptureCoreAsync(string project, string configuration, IReadOnlyList<string> msbuildArguments, CancellationToken cancellationToken)
    {
        (string[]? arguments, string? reason) = await CompilerArgumentsAsync(project, configuration, msbuildArguments, cancellationToken).ConfigureAwait(false);
        if (arguments is null)
        {
            return (null, reason);
        }

        string baseDirectory = Path.GetDirectoryName(Path.GetFullPath(project))!; // a full path always has a parent.
        CSharpCommandLineArguments parsed = CSharpCommandLineParser.Default.Parse(arguments, baseDirectory, sdkDirectory: null);
        if (parsed.Errors.FirstOrDefault(static d => d.Severity == DiagnosticSeverity.Error) is { } error)
        {
            return (null, $"the compiler arguments do not parse: {error.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        if (parsed.OutputFileName is null || parsed.CompilationOptions.OutputKind != OutputKind.DynamicallyLinkedLibrary)
        {
            return (null, "the project does not compile to a class library");
        }

        return await Task.Run(() => Create(parsed, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether every changed file is one of the compiled sources, still present, so that the fast path applies.</summary>
    /// <param name="changed">Full paths of the changed files.</param>
    /// <returns><see langword="true"/> when it applies.</returns>
    public bool Covers(IReadOnlyCollection<string> changed)
        => changed.Count > 0 && changed.All(path => _sources.ContainsKey(path) && File.Exists(path));

    /// <summary>
    /// Parses the changed files again, runs the source generators, and writes the assembly (and its
    /// PDB and XML documentation when the project makes them) into <paramref name="outputDirectory"/>.
    /// On failure nothing is kept: the caller runs the full build, whose diagnostics are the ones to show.
    /// </summary>
    /// <param name="changed">The changed source files (full paths), all covered.</param>
    /// <param name="outputDirectory">Where the files go (a copy of the last full build's output).</param>
    /// <param name="cancellationToken">Stops the compile.</param>
    /// <returns>The errors (<see langword="null"/> on success) and the compiler's warnings, in the build's <c>file(line,col): warning ID: message</c> form.</returns>
    public (IReadOnlyList<string>? Errors, IReadOnlyList<string> Warnings) Compile(IReadOnlyCollection<string> changed, string outputDirectory, CancellationToken cancellationToken)
    {
        try
        {
            return CompileCore(changed, outputDirectory, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A file deleted or locked since the change was seen, a generator that throws: the full build decides.
            return ([$"the in-process compile failed ({ex.GetType().Name}: {ex.Message})"], []);
        }
    }

    private (IReadOnlyList<string>? Errors, IReadOnlyList<string> Warnings) CompileCore(IReadOnlyCollection<string> changed, string outputDirectory, CancellationToken cancellationToken)
    {
        CSharpCompilation compilation = _compilation;
        var replaced = new Dictionary<string, SyntaxTree>(StringComparer.Ordinal);
        foreach (string path in changed)
        {
            SyntaxTree tree = Parse(path, _arguments, cancellationToken);
            compilation = compilation.ReplaceSyntaxTree(_sources[path], tree);
            replaced[path] = tree;
        }

        GeneratorDriver generators = _generators.RunGeneratorsAndUpdateCompilation(compilation, out Compilation generated, out ImmutableArray<Diagnostic> generatorDiagnostics, cancellationToken);
        string assembly = Path.Combine(outputDirectory, _arguments.OutputFileName!);
        (IReadOnlyList<string>? errors, IReadOnlyList<string> warnings) = Emit(generated, generatorDiagnostics, assembly, cancellationToken);
        if (errors is not null)
        {
            File.Delete(assembly);
            return (errors, warnings);
        }

        _compilation = compilation;
        _generators = generators;
        foreach ((string path, SyntaxTree tree) in replaced)
        {
            _sources[path] = tree;
        }

        return (null, warnings);
    }

    /// <summary>Compiles once into memory, so that the first real change finds the compiler's code already jitted.</summary>
    /// <param name="cancellationToken">Stops the warm-up.</param>
    public void WarmUp(CancellationToken cancellationToken)
    {
        _generators = _generators.RunGeneratorsAndUpdateCompilation(_compilation, out Compilation generated, out _, cancellationToken);
        using var pe = new MemoryStream();
        using var pdb = new MemoryStream();
        _ = generated.Emit(pe, pdb, options: _arguments.EmitOptions, cancellationToken: cancellationToken);
    }

    private (IReadOnlyList<string>? Errors, IReadOnlyList<string> Warnings) Emit(Compilation compilation, ImmutableArray<Diagnostic> generatorDiagnostics, string assembly, CancellationToken cancellationToken)
    {
        EmitOptionsFor(out EmitOptionsSet set);
        using (var pe = new FileStream(assembly, FileMode.Create, FileAccess.Write, FileShare.None))
        using (Stream? pdb = set.PdbFile is null ? null : new FileStream(set.PdbFile, FileMode.Create, FileAccess.Write, FileShare.None))
        using (Stream? xml = set.XmlFile is null ? null : new FileStream(set.XmlFile, FileMode.Create, FileAccess.Write, FileShare.None))
        using (Stream? win32 = _arguments.Win32ResourceFile is null ? compilation.CreateDefaultWin32Resources(versionResource: true, noManifest: _arguments.NoWin32Manifest, manifestContents: null, iconInIcoFormat: null) : null)
        {
            Microsoft.CodeAnalysis.Emit.EmitResult result = compilation.Emit(
                pe, pdb, xml, win32, _arguments.ManifestResources, set.Options, cancellationToken: cancellationToken);
            Diagnostic[] diagnostics = [.. generatorDiagnostics.Concat(result.Diagnostics)];
            List<string> errors = [.. diagnostics.Where(static d => d.Severity == DiagnosticSeverity.Error).Select(static d => d.ToString())];
            List<string> warnings = [.. diagnostics.Where(static d => d.Severity == DiagnosticSeverity.Warning).Select(static d => d.ToString()).Distinct(StringComparer.Ordinal)];
            if (result.Success && errors.Count == 0)
            {
                return (null, warnings);
            }

            return (errors.Count > 0 ? errors : ["the in-process compile failed"], warnings);
        }

        void EmitOptionsFor(out EmitOptionsSet value)
        {
            string directory = Path.GetDirectoryName(assembly)!;
            Microsoft.CodeAnalysis.Emit.EmitOptions options = _arguments.EmitOptions.WithPdbFilePath(_pdbPath);
            string? pdbFile = options.DebugInformationFormat is Microsoft.CodeAnalysis.Emit.DebugInformationFormat.PortablePdb or Microsoft.CodeAnalysis.Emit.DebugInformationFormat.Pdb
                && _arguments.EmitPdb
                ? Path.Combine(directory, Path.GetFileName(_pdbPath))
                : null;
            string? xmlFile = _arguments.DocumentationPath is { } doc ? Path.Combine(directory, Path.GetFileName(doc)) : null;
            value = new EmitOptionsSet(options, pdbFile, xmlFile);
        }
    }

    private static (IncrementalCompiler? Compiler, string? Reason) Create(CSharpCommandLineArguments arguments, CancellationToken cancellationToken)
    {
        var sources = new Dictionary<string, SyntaxTree>(StringComparer.Ordinal);
        foreach (CommandLineSourceFile source in arguments.SourceFiles)
        {
            string path = Path.GetFullPath(source.Path);
            sources[path] = Parse(path, arguments, cancellationToken);
        }

        var references = new List<MetadataReference>();
        foreach (CommandLineReference reference in arguments.MetadataReferences)
        {
            references.Add(MetadataReference.CreateFromFile(reference.Reference, reference.Properties));
        }

        AnalyzerConfigSet configs = AnalyzerConfigSet.Create(arguments.AnalyzerConfigPaths.Select(static path => AnalyzerConfig.Parse(SourceText.From(File.ReadAllText(path), Encoding.UTF8), path)).ToList());
        CSharpCompilationOptions options = arguments.CompilationOptions
            .WithSourceReferenceResolver(new SourceFileResolver(ImmutableArray<string>.Empty, arguments.BaseDirectory, arguments.PathMap))
            .WithXmlReferenceResolver(new XmlFileResolver(arguments.BaseDirectory))
            .WithMetadataReferenceResolver(null)
            .WithAssemblyIdentityComparer(DesktopAssemblyIdentityComparer.Default)
            .WithStrongNameProvider(new DesktopStrongNameProvider(arguments.KeyFileSearchPaths))
            .WithSyntaxTreeOptionsProvider(new ConfigTreeOptions(configs));

        var loader = new AnalyzerLoader();
        var generators = new List<ISourceGenerator>();
        string? failed = null;
        foreach (CommandLineAnalyzerReference analyzer in arguments.AnalyzerReferences)
        {
            var reference = new AnalyzerFileReference(Path.GetFullPath(analyzer.FilePath), loader);
            reference.AnalyzerLoadFailed += (_, e) => failed ??= $"the source generator '{analyzer.FilePath}' does not load here ({e.Message})";
            generators.AddRange(reference.GetGenerators(LanguageNames.CSharp));
        }

        if (failed is not null)
        {
            return (null, failed);
        }

        ImmutableArray<AdditionalText> additional = [.. arguments.AdditionalFiles.Select(static f => (AdditionalText)new FileText(Path.GetFullPath(f.Path)))];
        GeneratorDriver driver = CSharpGeneratorDriver.Create(generators, additional, arguments.ParseOptions, new ConfigOptionsProvider(configs));
        CSharpCompilation compilation = CSharpCompilation.Create(arguments.CompilationName, sources.Values, references, options);
        var compiler = new IncrementalCompiler(arguments, sources, compilation, driver);
        compiler.WarmUp(cancellationToken);
        return (compiler, null);
    }

    private static SyntaxTree Parse(string path, CSharpCommandLineArguments arguments, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        SourceText text = SourceText.From(stream, arguments.Encoding, arguments.ChecksumAlgorithm, throwIfBinaryDetected: true, canBeEmbedded: true);
        return CSharpSyntaxTree.ParseText(text, arguments.ParseOptions, path, cancellationToken);
    }

    /// <summary>Runs MSBuild's design-time compile of the project (nothing is compiled or written) and reads the compiler arguments it would use.</summary>
    private static async Task<(string[]? Arguments, string? Reason)> CompilerArgumentsAsync(string project, string configuration, IReadOnlyList<string> msbuildArguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])[
            "msbuild", project, "-nologo", "-restore:false", "-t:Compile", $"-p:Configuration={configuration}",
            "-p:SkipCompilerExecution=true", "-p:ProvideCommandLineArgs=true", "-p:BuildProjectReferences=false",
            $"-p:NonExistentFile={s_nonExistentFile}", "-getItem:CscCommandLineArgs"])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (string argument in msbuildArguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("Cannot start 'dotnet'. Is the .NET SDK on PATH?");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        string text = await stdout.ConfigureAwait(false);
        _ = await stderr.ConfigureAwait(false);
        int json = text.IndexOf('{', StringComparison.Ordinal);
        if (process.ExitCode != 0 || json < 0)
        {
            return (null, $"MSBuild could not tell the compiler arguments (exit code {process.ExitCode})");
        }

        try
        {
            using var document = JsonDocument.Parse(text.AsMemory(json));
            string[] arguments = [.. document.RootElement.GetProperty("Items").GetProperty("CscCommandLineArgs").EnumerateArray()
                .Select(static item => item.GetProperty("Identity").GetString()!)];
            return arguments.Length > 0 ? (arguments, null) : (null, "the project has no C# compile step");
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return (null, $"MSBuild's answer could not be read ({ex.Message})");
        }
    }

    private readonly record struct EmitOptionsSet(Microsoft.CodeAnalysis.Emit.EmitOptions Options, string? PdbFile, string? XmlFile);

    /// <summary>An additional file (<c>AdditionalFiles</c> item) read when a generator asks for it.</summary>
    private sealed class FileText(string path) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText? GetText(CancellationToken cancellationToken = default)
            => File.Exists(Path) ? SourceText.From(File.ReadAllText(Path), Encoding.UTF8) : null;
    }

    /// <summary>The build's <c>.editorconfig</c> and global config values as generators read them (<c>build_property.*</c> and per-file options).</summary>
    private sealed class ConfigOptionsProvider(AnalyzerConfigSet configs) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new DictionaryOptions(configs.GlobalConfigOptions.AnalyzerOptions);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => ForPath(tree.FilePath);

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => ForPath(textFile.Path);

        private DictionaryOptions ForPath(string path)
            => string.IsNullOrEmpty(path) ? new DictionaryOptions(ImmutableDictionary<string, string>.Empty) : new DictionaryOptions(configs.GetOptionsForSourcePath(path).AnalyzerOptions);
    }

    private sealed class DictionaryOptions(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override IEnumerable<string> Keys => values.Keys;

        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }

    /// <summary>Diagnostic severities from the configuration files (<c>dotnet_diagnostic.ID.severity</c>), as the compiler applies them.</summary>
    private sealed class ConfigTreeOptions(AnalyzerConfigSet configs) : SyntaxTreeOptionsProvider
    {
        private readonly ImmutableDictionary<string, ReportDiagnostic> _global = configs.GlobalConfigOptions.TreeOptions;

        public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.Unknown;

        public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
        {
            severity = ReportDiagnostic.Default;
            return !string.IsNullOrEmpty(tree.FilePath) && configs.GetOptionsForSourcePath(tree.FilePath).TreeOptions.TryGetValue(diagnosticId, out severity);
        }

        public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
            => _global.TryGetValue(diagnosticId, out severity);
    }

    /// <summary>
    /// Loads source generators the way the compiler does: each folder of analyzer assemblies in its own
    /// load context, the compiler's own assemblies shared from this process. Hand-written because
    /// Roslyn's own loader is not public API.
    /// </summary>
    private sealed class AnalyzerLoader : IAnalyzerAssemblyLoader
    {
        private readonly Dictionary<string, DirectoryContext> _contexts = new(StringComparer.Ordinal);
        private readonly Lock _lock = new();

        public void AddDependencyLocation(string fullPath)
        {
        }

        public Assembly LoadFromPath(string fullPath)
        {
            string directory = Path.GetDirectoryName(fullPath)!;
            DirectoryContext context;
            lock (_lock)
            {
                if (!_contexts.TryGetValue(directory, out context!))
                {
                    context = new DirectoryContext(directory);
                    _contexts.Add(directory, context);
                }
            }

            return context.LoadFromAssemblyPath(fullPath);
        }

        private sealed class DirectoryContext(string directory) : AssemblyLoadContext("hotswap-analyzers " + directory)
        {
            protected override Assembly? Load(AssemblyName assemblyName)
            {
                // The compiler's assemblies (and what they share with generators) come from this process, so that
                // a generator's ISourceGenerator is the compiler's.
                if (Default.Assemblies.Any(a => string.Equals(a.GetName().Name, assemblyName.Name, StringComparison.OrdinalIgnoreCase))
                    || assemblyName.Name is { } n && n.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal))
                {
                    return null;
                }

                string candidate = Path.Combine(directory, assemblyName.Name + ".dll");
                return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
            }
        }
    }
}
