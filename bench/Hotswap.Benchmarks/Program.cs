using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Hotswap.Benchmarks;

/// <summary>Runs the benchmarks chosen on the command line (<c>--filter</c>, <c>--job</c>, ...), in this process.</summary>
public static class Program
{
    /// <summary>The entry point.</summary>
    /// <param name="args">BenchmarkDotNet's command line.</param>
    public static void Main(string[] args)
    {
        IConfig defaults = DefaultConfig.Instance;
        IConfig config = ManualConfig.CreateEmpty()
            .AddColumnProvider([.. defaults.GetColumnProviders()])
            .AddLogger([.. defaults.GetLoggers()])
            .AddAnalyser([.. defaults.GetAnalysers()])
            .AddValidator([.. defaults.GetValidators()])

            // A mutator, not a job: it only sets the toolchain of whatever jobs run (the default
            // one, or the one --job names), so --job dry/short/... keep working. On .NET 10 the
            // out-of-process toolchain cannot build the generated project here.
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsMutator())
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddExporter(MarkdownExporter.GitHub)

            // Reports go under the repository's artifacts/, never into the work tree.
            .WithArtifactsPath(BenchmarkPaths.Artifacts);

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
