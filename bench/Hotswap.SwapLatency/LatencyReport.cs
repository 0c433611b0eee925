using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Hotswap.SwapLatency;

/// <summary>What the runner prints: the command line, the machine, and each test's table.</summary>
/// <param name="CommandLine">The command line.</param>
/// <param name="FirstCall">The first-call test's results, when it ran.</param>
/// <param name="Load">The load test's results, when it ran.</param>
/// <param name="Rollback">The rollback test's results, when it ran.</param>
internal sealed record LatencyReport(string CommandLine, FirstCallReport? FirstCall, LoadReport? Load, RollbackReport? Rollback = null)
{
    /// <summary>Gets the machine line.</summary>
    public static string Machine { get; } = string.Create(
        CultureInfo.InvariantCulture,
        $".NET {Environment.Version}, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} cores, {(GCSettings.IsServerGC ? "server" : "workstation")} GC, timer {Stopwatch.Frequency:N0} ticks/s");

    /// <summary>Writes the report as text tables.</summary>
    /// <param name="writer">Where to.</param>
    public void WriteText(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        CultureInfo c = CultureInfo.InvariantCulture;
        writer.WriteLine("Hotswap swap latency");
        writer.WriteLine($"  command   {CommandLine}");
        writer.WriteLine($"  machine   {Machine}");
        if (FirstCall is { } first)
        {
            writer.WriteLine();
            writer.WriteLine(string.Create(c, $"First calls after a swap: {first.Swaps} swaps per mode, modes interleaved; one timer read is {first.TimerOverhead:F0} ns, included in every row"));
            writer.WriteLine();
            writer.WriteLine("| warm-up | call | median | p90 | p99 | max | JIT'd methods | allocated |");
            writer.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
            foreach (FirstCallMode mode in first.Modes)
            {
                foreach (FirstCallRow row in mode.Rows)
                {
                    writer.WriteLine(string.Create(c, $"| {WarmUpModes.Name(mode.WarmUp)} | {row.Name} | {Time(row.Median)} | {Time(row.P90)} | {Time(row.P99)} | {Time(row.Max)} | {row.JitMethods:F2} | {row.AllocatedBytes:F0} B |"));
                }
            }

            writer.WriteLine();
            foreach (FirstCallMode mode in first.Modes)
            {
                writer.WriteLine(string.Create(c, $"  warm-up {WarmUpModes.Name(mode.WarmUp)}: steady call in a 1000-call loop {mode.SteadyBatch:F1} ns (median over swaps); reload median {mode.ReloadMedian:F2} ms, p90 {mode.ReloadP90:F2} ms; {mode.SamplesWithCollection} of {first.Swaps} samples with a collection during the three calls"));
            }

            foreach (FirstCallMode warmed in first.Modes.Where(static m => m.WarmUp != WarmUp.Off))
            {
                FirstCallRow row = warmed.Rows[1];
                writer.WriteLine(string.Create(c, $"  goal: with warm-up on ({WarmUpModes.Name(warmed.WarmUp)}), the 1st call after a swap under 1 us: median {Time(row.Median)}, p90 {Time(row.P90)}, p99 {Time(row.P99)}: {(row.P90 < 1000 ? "met up to p90" : row.Median < 1000 ? "met at the median only" : "not met")}"));
            }
        }

        if (Load is { } load)
        {
            writer.WriteLine();
            writer.WriteLine(string.Create(c, $"Calls while swapping: a swap every {load.IntervalMilliseconds:F0} ms vs none; {load.Rounds} x ({load.PhaseSeconds:F0} s steady + {load.PhaseSeconds:F0} s swapping) per thread count; warm-up on; each call timed alone, one timer read ({load.TimerOverhead:F0} ns) included"));
            writer.WriteLine();
            writer.WriteLine("| threads | phase | calls | calls/s | p50 | p99 | p99.9 | p99.99 | max | > 100 ns | > 10 us | > 1 ms | GCs (gen2) | TLB shootdowns, call IPIs /s | swaps |");
            writer.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            foreach (LoadResult result in load.Results)
            {
                Phase(writer, result.Threads, "steady", result.Steady, "");
                Phase(writer, result.Threads, "swapping", result.Swapping, string.Create(c, $"{result.Swaps}, median {result.SwapMedian:F2} ms, max {result.SwapMax:F1} ms"));
            }

            writer.WriteLine();
            foreach (LoadResult result in load.Results)
            {
                double ratio = result.Swapping.P999 / result.Steady.P999;
                writer.WriteLine(string.Create(c, $"  {result.Threads} thread(s): p99.9 swapping / steady = {ratio:F2}x (p99 {result.Swapping.P99 / result.Steady.P99:F2}x, p99.99 {result.Swapping.P9999 / result.Steady.P9999:F2}x); goal within 2x: {(ratio <= 2 ? "met" : "not met")}; {result.Swaps / (load.Rounds * load.PhaseSeconds):F0} swaps/s achieved of {1000 / load.IntervalMilliseconds:F0} asked"));
            }
        }
        WriteRollbackText(writer);
    }

    /// <summary>Writes the rollback table, if the test ran.</summary>
    /// <param name="writer">Where to.</param>
    private void WriteRollbackText(TextWriter writer)
    {
        if (Rollback is not { } rollback)
        {
            return;
        }

        CultureInfo c = CultureInfo.InvariantCulture;
        writer.WriteLine();
        writer.WriteLine(string.Create(c, $"Rollbacks: {rollback.Rounds} rollbacks to a generation kept on probation (nothing loaded); one timer read included"));
        writer.WriteLine();
        writer.WriteLine("| what | median | p90 | p99 | max |");
        writer.WriteLine("|---|---:|---:|---:|---:|");
        foreach ((string name, RollbackRow row) in new[] { ("RollbackAsync, call to return", rollback.Call), ("ReloadResult.Duration (until the old generation serves)", rollback.Duration), ("1st proxy call after it", rollback.FirstCall) })
        {
            writer.WriteLine(string.Create(c, $"| {name} | {Time(row.Median)} | {Time(row.P90)} | {Time(row.P99)} | {Time(row.Max)} |"));
        }

        writer.WriteLine();
        writer.WriteLine(string.Create(c, $"  goal: a rollback under 1 ms: median {Time(rollback.Call.Median)}, p99 {Time(rollback.Call.P99)}: {(rollback.Call.P99 < 1e6 ? "met up to p99" : rollback.Call.Median < 1e6 ? "met at the median" : "not met")}"));
    }

    /// <summary>Writes the report as JSON (times in nanoseconds unless the name says otherwise).</summary>
    /// <param name="stream">Where to.</param>
    public void WriteJson(Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("command", CommandLine);
        json.WriteString("machine", Machine);
        if (FirstCall is { } first)
        {
            json.WriteStartObject("firstCall");
            json.WriteNumber("swaps", first.Swaps);
            json.WriteNumber("timerOverheadNs", Round(first.TimerOverhead));
            json.WriteStartArray("modes");
            foreach (FirstCallMode mode in first.Modes)
            {
                json.WriteStartObject();
                json.WriteString("warmUp", WarmUpModes.Name(mode.WarmUp));
                json.WriteNumber("steadyBatchNs", Round(mode.SteadyBatch));
                json.WriteNumber("reloadMedianMs", Round(mode.ReloadMedian));
                json.WriteNumber("reloadP90Ms", Round(mode.ReloadP90));
                json.WriteNumber("samplesWithCollection", mode.SamplesWithCollection);
                json.WriteStartArray("rows");
                foreach (FirstCallRow row in mode.Rows)
                {
                    json.WriteStartObject();
                    json.WriteString("call", row.Name);
                    json.WriteNumber("medianNs", Round(row.Median));
                    json.WriteNumber("p90Ns", Round(row.P90));
                    json.WriteNumber("p99Ns", Round(row.P99));
                    json.WriteNumber("maxNs", Round(row.Max));
                    json.WriteNumber("jitMethods", Round(row.JitMethods));
                    json.WriteNumber("allocatedBytes", Round(row.AllocatedBytes));
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        if (Load is { } load)
        {
            json.WriteStartObject("load");
            json.WriteNumber("rounds", load.Rounds);
            json.WriteNumber("phaseSeconds", load.PhaseSeconds);
            json.WriteNumber("intervalMs", load.IntervalMilliseconds);
            json.WriteNumber("timerOverheadNs", Round(load.TimerOverhead));
            json.WriteStartArray("results");
            foreach (LoadResult result in load.Results)
            {
                json.WriteStartObject();
                json.WriteNumber("threads", result.Threads);
                json.WriteNumber("swaps", result.Swaps);
                json.WriteNumber("swapMedianMs", Round(result.SwapMedian));
                json.WriteNumber("swapMaxMs", Round(result.SwapMax));
                json.WriteNumber("p999Ratio", Round(result.Swapping.P999 / result.Steady.P999));
                PhaseJson(json, "steady", result.Steady);
                PhaseJson(json, "swapping", result.Swapping);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        if (Rollback is { } rb)
        {
            json.WriteStartObject("rollback");
            json.WriteNumber("rounds", rb.Rounds);
            foreach ((string name, RollbackRow row) in new[] { ("callNs", rb.Call), ("durationNs", rb.Duration), ("firstCallNs", rb.FirstCall) })
            {
                json.WriteStartObject(name);
                json.WriteNumber("median", Round(row.Median));
                json.WriteNumber("p90", Round(row.P90));
                json.WriteNumber("p99", Round(row.P99));
                json.WriteNumber("max", Round(row.Max));
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void Phase(TextWriter writer, int threads, string name, LoadPhase phase, string swaps)
        => writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {threads} | {name} | {phase.Calls:N0} | {phase.CallsPerSecond:N0} | {Time(phase.P50)} | {Time(phase.P99)} | {Time(phase.P999)} | {Time(phase.P9999)} | {Time(phase.Max)} | {phase.Over100Ns:N0} ({100.0 * phase.Over100Ns / Math.Max(1, phase.Calls):F3} %) | {phase.Over10Us:N0} | {phase.Over1Ms:N0} | {phase.Gen0Collections} ({phase.Gen2Collections}) | {(phase.Interrupts.IsKnown ? string.Create(CultureInfo.InvariantCulture, $"{phase.Interrupts.TlbShootdowns / phase.Seconds:N0}, {phase.Interrupts.FunctionCalls / phase.Seconds:N0}") : "n/a")} | {swaps} |"));

    private static void PhaseJson(Utf8JsonWriter json, string name, LoadPhase phase)
    {
        json.WriteStartObject(name);
        json.WriteNumber("calls", phase.Calls);
        json.WriteNumber("callsPerSecond", Math.Round(phase.CallsPerSecond));
        json.WriteNumber("p50Ns", Round(phase.P50));
        json.WriteNumber("p99Ns", Round(phase.P99));
        json.WriteNumber("p999Ns", Round(phase.P999));
        json.WriteNumber("p9999Ns", Round(phase.P9999));
        json.WriteNumber("maxNs", Round(phase.Max));
        json.WriteNumber("over100Ns", phase.Over100Ns);
        json.WriteNumber("over10Us", phase.Over10Us);
        json.WriteNumber("over1Ms", phase.Over1Ms);
        json.WriteNumber("collections", phase.Gen0Collections);
        json.WriteNumber("gen2Collections", phase.Gen2Collections);
        if (phase.Interrupts.IsKnown)
        {
            json.WriteNumber("tlbShootdowns", phase.Interrupts.TlbShootdowns);
            json.WriteNumber("functionCallInterrupts", phase.Interrupts.FunctionCalls);
        }
        json.WriteEndObject();
    }

    private static double Round(double value) => Math.Round(value, 2);

    /// <summary>A time in nanoseconds, in the unit that reads best.</summary>
    private static string Time(double nanoseconds) => nanoseconds switch
    {
        < 1_000 => string.Create(CultureInfo.InvariantCulture, $"{nanoseconds:F0} ns"),
        < 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{nanoseconds / 1e3:F1} us"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{nanoseconds / 1e6:F2} ms"),
    };
}
