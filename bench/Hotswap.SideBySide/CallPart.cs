using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Hotswap.SideBySide;

/// <summary>The call rows: <see cref="CallBenchmark"/> run several times by BenchmarkDotNet, in this process; medians of the runs' means.</summary>
internal static class CallPart
{
    public static void Run(SideOptions options, SideReport report)
    {
        IConfig defaults = DefaultConfig.Instance;
        IConfig config = ManualConfig.CreateEmpty()
            .AddColumnProvider([.. defaults.GetColumnProviders()])
            .AddLogger(new ErrorLogger())
            .AddAnalyser([.. defaults.GetAnalysers()])
            .AddValidator([.. defaults.GetValidators()])

            // In process, as bench/Hotswap.Benchmarks runs: the out-of-process toolchain cannot
            // build its generated project here.
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsMutator())
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddExporter(MarkdownExporter.GitHub)
            .WithArtifactsPath(SidePaths.Artifacts);

        var means = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var allocated = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int round = 0; round < options.CallRounds; round++)
        {
            Console.Error.WriteLine($"// calls: BenchmarkDotNet run {round + 1} of {options.CallRounds}");
            Summary summary = BenchmarkRunner.Run<CallBenchmark>(config);
            foreach (BenchmarkReport benchmark in summary.Reports)
            {
                string name = benchmark.BenchmarkCase.Descriptor.WorkloadMethod.Name;
                if (benchmark.ResultStatistics is { } statistics)
                {
                    (means.TryGetValue(name, out List<double>? list) ? list : means[name] = []).Add(statistics.Mean);
                }

                allocated[name] = Math.Max(allocated.GetValueOrDefault(name), benchmark.GcStats.GetBytesAllocatedPerOperation(benchmark.BenchmarkCase) ?? 0);
            }
        }

        if (means.Count != 3)
        {
            throw new InvalidOperationException("BenchmarkDotNet measured no result for some call benchmarks; its log (standard error) says why.");
        }

        double field = Stats.Median(means.GetValueOrDefault(nameof(CallBenchmark.McMasterVolatileField)) ?? []);
        double proxy = Stats.Median(means.GetValueOrDefault(nameof(CallBenchmark.HotswapProxy)) ?? []);
        double invoke = Stats.Median(means.GetValueOrDefault(nameof(CallBenchmark.HotswapLambdaInvoke)) ?? []);
        string runs = $"BenchmarkDotNet mean per call, median of {options.CallRounds} runs; allocated {allocated.GetValueOrDefault(nameof(CallBenchmark.HotswapProxy))} B / {allocated.GetValueOrDefault(nameof(CallBenchmark.McMasterVolatileField))} B per call";
        static string Runs(List<double>? values) => values is null ? "-" : string.Join(", ", values.Select(v => v.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)));
        report.Note($"call runs, mean ns per call in each BenchmarkDotNet run: McMaster field {Runs(means.GetValueOrDefault(nameof(CallBenchmark.McMasterVolatileField)))}; Hotswap proxy {Runs(means.GetValueOrDefault(nameof(CallBenchmark.HotswapProxy)))}; Hotswap Invoke {Runs(means.GetValueOrDefault(nameof(CallBenchmark.HotswapLambdaInvoke)))}.");
        report.Add("a call that follows reloads (proxy / volatile field)", "ns", proxy, field, runs);
        report.Add("`host.Invoke` with a static lambda / the same volatile field", "ns", invoke, field, $"as above; Invoke allocated {allocated.GetValueOrDefault(nameof(CallBenchmark.HotswapLambdaInvoke))} B per call");
    }
}
