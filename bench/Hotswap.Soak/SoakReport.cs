using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Hotswap.Soak;

/// <summary>Everything one soak run measured and checked, and how to print it.</summary>
internal sealed class SoakReport
{
    public required SoakOptions Options { get; init; }

    public required string Machine { get; init; }

    public required TimeSpan Duration { get; init; }

    public required TimeSpan CallingTime { get; init; }

    public required TimeSpan ReloadingTime { get; init; }

    /// <summary>Gets the reloads run: fewer than asked for when the run was stopped early.</summary>
    public required int ReloadsRun { get; init; }

    public required int ReloadsPublished { get; init; }

    public required int ReloadsFailed { get; init; }

    public required long ReloadFailedEvents { get; init; }

    public required double[] ReloadMilliseconds { get; init; }

    /// <summary>Gets what the warm-up did: one cycle of every operation, on the main thread, before the "before" snapshot.</summary>
    public required CallStats WarmUp { get; init; }

    /// <summary>Gets what the callers did before the first reload.</summary>
    public required CallStats Baseline { get; init; }

    public required TimeSpan BaselineTime { get; init; }

    /// <summary>Gets what the callers did from the first reload to the last.</summary>
    public required CallStats UnderReloads { get; init; }

    /// <summary>Gets what the callers did in all.</summary>
    public CallStats Calls
    {
        get
        {
            var all = new CallStats();
            all.Add(WarmUp);
            all.Add(Baseline);
            all.Add(UnderReloads);
            return all;
        }
    }

    public required long VersionsLoaded { get; init; }

    public required long VersionsFreed { get; init; }

    public required long FreedWithCallsInFlight { get; init; }

    public required long CallsAfterFree { get; init; }

    public required long RetiredWhileServing { get; init; }

    /// <summary>Gets the versions the host still held when it was disposed: those serving, and those kept on probation.</summary>
    public required long RetiredAtDispose { get; init; }

    /// <summary>Gets the rollbacks that switched back as expected.</summary>
    public required int RollbacksRun { get; init; }

    /// <summary>Gets the rollbacks that threw, failed, or switched to anything but the generation kept.</summary>
    public required int RollbacksFailed { get; init; }

    /// <summary>Gets each rollback's <see cref="ReloadResult.Duration"/>, in milliseconds.</summary>
    public required double[] RollbackMilliseconds { get; init; }

    /// <summary>Gets the time each <c>host.RollbackAsync()</c> call took, as its caller saw it, in milliseconds.</summary>
    public required double[] RollbackCallMilliseconds { get; init; }

    /// <summary>Gets how many <c>RolledBack</c> events were raised.</summary>
    public required long RolledBackEvents { get; init; }

    /// <summary>Gets how many <c>RolledBack</c> events said the host rolled back by itself.</summary>
    public required long AutomaticRollbacks { get; init; }

    /// <summary>Gets the rolled-back versions' load contexts still alive, by weak reference, after the unloads (the host still serving).</summary>
    public required int RolledBackAlive { get; init; }

    /// <summary>Gets the versions rolled back: every plugin, at each rollback.</summary>
    public long RolledBackVersions => (long)RollbacksRun * Options.Plugins;

    public required long UnloadingEvents { get; init; }

    public required long UnloadedEvents { get; init; }

    public required long StuckEvents { get; init; }

    public required long StillDrainingEvents { get; init; }

    public required int StuckVersionsWhileServing { get; init; }

    public required int RetiredAliveWhileServing { get; init; }

    public required int AliveAtEnd { get; init; }

    public required int TrackedContexts { get; init; }

    public required long MostWaitingUnload { get; init; }

    public required TimeSpan SlowestUnload { get; init; }

    public required int MostCollections { get; init; }

    public required ProcessSnapshot Before { get; init; }

    public required ProcessSnapshot After { get; init; }

    public required ProcessSnapshot End { get; init; }

    public required int PeakThreads { get; init; }

    public required int[] Collections { get; init; }

    public required long AllocatedBytes { get; init; }

    public required long HostWarnings { get; init; }

    public required long HostErrors { get; init; }

    /// <summary>Gets the host's "rolled back" warnings, one per rollback, not counted in <see cref="HostWarnings"/>.</summary>
    public required long HostRollbackWarnings { get; init; }

    public required IReadOnlyList<string> Problems { get; init; }

    /// <summary>Gets the retired versions not proven unloaded by the end: the worst of the independent proofs.</summary>
    public long Leaked => Math.Max(
        Math.Max(RetiredWhileServing + RetiredAtDispose - UnloadedEvents, StuckVersionsWhileServing),
        Math.Max(Math.Max(RetiredAliveWhileServing, AliveAtEnd), End.PluginContexts));

    /// <summary>Gets the checks that failed, as sentences; empty when the run passed.</summary>
    public IReadOnlyList<string> Failures
    {
        get
        {
            var failures = new List<string>();
            if (ReloadsRun < Options.Reloads)
            {
                failures.Add(Invariant($"stopped after {ReloadsRun:N0} of {Options.Reloads:N0} reloads"));
            }

            Expect(failures, Calls.Failed, "failed calls");
            Expect(failures, Calls.Mixed, "mixed-version calls");
            Expect(failures, Calls.Stale, "stale calls");
            Expect(failures, ReloadsFailed + ReloadFailedEvents, "failed reloads");
            if (Options.Probation)
            {
                Expect(failures, RollbacksFailed, "failed rollbacks");
                Expect(failures, Math.Abs(RolledBackEvents - RollbacksRun), "RolledBack events not matching a rollback asked for");
                Expect(failures, AutomaticRollbacks, "automatic rollbacks");
                Expect(failures, RolledBackAlive, "rolled-back versions still alive after the unloads");
            }

            Expect(failures, Leaked, "leaked contexts");
            Expect(failures, FreedWithCallsInFlight + CallsAfterFree, "calls overlapping OnFreeAsync");
            Expect(failures, VersionsLoaded - VersionsFreed, "versions loaded but never freed");
            Expect(failures, StillDrainingEvents, "generations still draining after the unload timeout");
            Expect(failures, HostErrors, "errors logged by the host");
            return failures;
        }
    }

    public bool Passed => Failures.Count == 0;

    public void WriteText(TextWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        CallStats c = Calls;
        w.WriteLine(Invariant($"Hotswap soak: {Options.Reloads} reloads, {Options.Threads} calling threads, {Options.Plugins} plugin(s)"));
        w.WriteLine($"  machine            {Machine}");
        w.WriteLine(Invariant($"  duration           {Duration.TotalSeconds:0.0} s in all; reloading {ReloadingTime.TotalSeconds:0.0} s ({Rate(ReloadsPublished, ReloadingTime)} reloads/s); calling {CallingTime.TotalSeconds:0.0} s"));
        w.WriteLine(Invariant($"  reloads            {ReloadsPublished:N0} published, {ReloadsFailed:N0} failed ({ReloadFailedEvents:N0} ReloadFailed events); time per reload: median {Percentile(ReloadMilliseconds, 0.5):0.00} ms, p99 {Percentile(ReloadMilliseconds, 0.99):0.00} ms, max {Percentile(ReloadMilliseconds, 1):0.00} ms"));
        if (Options.Probation)
        {
            w.WriteLine(Invariant($"  rollbacks          {RollbacksRun:N0} (after every {Options.RollbackEvery}th reload, probation on), {RollbacksFailed:N0} failed; {RolledBackEvents:N0} RolledBack events ({AutomaticRollbacks:N0} automatic)"));
            w.WriteLine(Invariant($"    ReloadResult.Duration   median {Percentile(RollbackMilliseconds, 0.5):0.000} ms, p99 {Percentile(RollbackMilliseconds, 0.99):0.000} ms, max {Percentile(RollbackMilliseconds, 1):0.000} ms"));
            w.WriteLine(Invariant($"    RollbackAsync call      median {Percentile(RollbackCallMilliseconds, 0.5):0.000} ms, p99 {Percentile(RollbackCallMilliseconds, 0.99):0.000} ms, max {Percentile(RollbackCallMilliseconds, 1):0.000} ms"));
            w.WriteLine(Invariant($"    rolled back             {RolledBackVersions:N0} versions; {RolledBackAlive:N0} alive by weak reference after the unloads"));
        }
        CallStats r = UnderReloads, b = Baseline;
        w.WriteLine(Invariant($"  calls              {c.Calls:N0} in all: {r.Calls:N0} during the reloads ({Rate(r.Calls, CallingTime)}/s), {b.Calls:N0} in the {BaselineTime.TotalSeconds:0.0} s before them ({Rate(b.Calls, BaselineTime)}/s), {WarmUp.Calls:N0} to warm up"));
        w.WriteLine($"    {"",-30} {"during the reloads",-33} | before them");
        w.WriteLine($"    {"operation",-30} {"count",9} {"mean",11} {"max",11} | {"count",9} {"mean",11} {"max",11}");
        for (int k = 0; k < CallStats.Kinds; k++)
        {
            string name = Caller.Describe((OperationKind)k);
            w.WriteLine(Invariant($"    {name,-30} {r.Operations[k],9:N0} {Micro(r, k),11} {Milli(r.MaxTicks[k]),11} | {b.Operations[k],9:N0} {Micro(b, k),11} {Milli(b.MaxTicks[k]),11}"));
        }

        w.WriteLine(Invariant($"  failed calls       {c.Failed:N0}"));
        w.WriteLine(Invariant($"  mixed calls        {c.Mixed:N0} (two versions seen in one call or one lease)"));
        w.WriteLine(Invariant($"  stale calls        {c.Stale:N0} (answered by a freed version, the wrong build or plugin, or a generation from an earlier switch than the thread had seen or than the host had made before the call)"));
        w.WriteLine(Invariant($"  OnFreeAsync        {VersionsFreed:N0} of {VersionsLoaded:N0} versions loaded; {FreedWithCallsInFlight:N0} with calls in flight, {CallsAfterFree:N0} calls after it"));
        string retiredBy = Options.Probation ? Invariant($"{RetiredWhileServing - RolledBackVersions:N0} by reloads + {RolledBackVersions:N0} by rollbacks") : Invariant($"{RetiredWhileServing:N0} by reloads");
        w.WriteLine(Invariant($"  retired versions   {retiredBy} + {RetiredAtDispose:N0} at dispose; {UnloadingEvents:N0} Unloading, {UnloadedEvents:N0} Unloaded, {StuckEvents:N0} UnloadStuck, {StillDrainingEvents:N0} still-draining warnings"));
        w.WriteLine(Invariant($"  unloading          at most {MostWaitingUnload:N0} retired versions waiting at once; slowest {SlowestUnload.TotalMilliseconds:0.0} ms after Unload(); at most {MostCollections} forced collections"));
        w.WriteLine(Invariant($"  leaked contexts    {Leaked:N0} (while serving: {RetiredAliveWhileServing} of {RetiredWhileServing} alive by weak reference, {StuckVersionsWhileServing} in StuckVersions; after dispose: {AliveAtEnd} of {TrackedContexts} alive, {End.PluginContexts} never unloaded)"));
        w.WriteLine($"                     before      after       end");
        Row(w, "managed heap", Before.ManagedBytes, After.ManagedBytes, End.ManagedBytes, "GC.GetTotalMemory(true)");
        Row(w, "GC heap size", Before.HeapBytes, After.HeapBytes, End.HeapBytes, "GCMemoryInfo.HeapSizeBytes");
        Row(w, "GC committed", Before.CommittedBytes, After.CommittedBytes, End.CommittedBytes, "GCMemoryInfo.TotalCommittedBytes");
        Row(w, "working set", Before.WorkingSetBytes, After.WorkingSetBytes, End.WorkingSetBytes, null);
        Row(w, "private bytes", Before.PrivateBytes, After.PrivateBytes, End.PrivateBytes, null);
        Count(w, "threads", Before.Threads, After.Threads, End.Threads, Invariant($"peak {PeakThreads} while calling; pool {Before.PoolThreads} / {After.PoolThreads} / {End.PoolThreads}"));
        Count(w, "assemblies", Before.Assemblies, After.Assemblies, End.Assemblies, "in every load context");
        Count(w, "plugin contexts", Before.PluginContexts, After.PluginContexts, End.PluginContexts, "listed in AssemblyLoadContext.All: loaded, Unload() not called yet");
        Count(w, "mapped files", Before.MappedPluginFiles, After.MappedPluginFiles, End.MappedPluginFiles, "/proc/self/maps lines under the plugins root");
        w.WriteLine(Invariant($"  collections        gen0 {Collections[0]:N0}, gen1 {Collections[1]:N0}, gen2 {Collections[2]:N0} while calling and unloading; {AllocatedBytes / 1048576.0:N0} MB allocated"));
        w.WriteLine(Invariant($"  host log           {HostWarnings:N0} warnings, {HostErrors:N0} errors{(Options.Probation ? Invariant($"; and {HostRollbackWarnings:N0} \"rolled back\" warnings, one per rollback") : "")}"));
        foreach (string problem in Problems)
        {
            w.WriteLine($"  ! {problem}");
        }

        IReadOnlyList<string> failures = Failures;
        w.WriteLine(failures.Count == 0 ? "PASS" : "FAIL: " + string.Join("; ", failures));
    }

    public void WriteJson(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteBoolean("passed", Passed);
        w.WriteStartArray("failures");
        foreach (string failure in Failures)
        {
            w.WriteStringValue(failure);
        }

        w.WriteEndArray();
        w.WriteNumber("reloadsRequested", Options.Reloads);
        w.WriteNumber("reloadsRun", ReloadsRun);
        w.WriteNumber("threads", Options.Threads);
        w.WriteNumber("plugins", Options.Plugins);
        w.WriteString("machine", Machine);
        w.WriteNumber("durationSeconds", Math.Round(Duration.TotalSeconds, 3));
        w.WriteNumber("reloadingSeconds", Math.Round(ReloadingTime.TotalSeconds, 3));
        w.WriteNumber("callingSeconds", Math.Round(CallingTime.TotalSeconds, 3));
        w.WriteStartObject("reloads");
        w.WriteNumber("published", ReloadsPublished);
        w.WriteNumber("failed", ReloadsFailed);
        w.WriteNumber("reloadFailedEvents", ReloadFailedEvents);
        w.WriteNumber("medianMs", Math.Round(Percentile(ReloadMilliseconds, 0.5), 3));
        w.WriteNumber("p99Ms", Math.Round(Percentile(ReloadMilliseconds, 0.99), 3));
        w.WriteNumber("maxMs", Math.Round(Percentile(ReloadMilliseconds, 1), 3));
        w.WriteEndObject();
        if (Options.Probation)
        {
            w.WriteStartObject("rollbacks");
            w.WriteNumber("every", Options.RollbackEvery);
            w.WriteNumber("run", RollbacksRun);
            w.WriteNumber("failed", RollbacksFailed);
            w.WriteNumber("rolledBackEvents", RolledBackEvents);
            w.WriteNumber("automatic", AutomaticRollbacks);
            w.WriteNumber("rolledBackVersions", RolledBackVersions);
            w.WriteNumber("rolledBackAlive", RolledBackAlive);
            Times(w, "durationMs", RollbackMilliseconds);
            Times(w, "callMs", RollbackCallMilliseconds);
            w.WriteEndObject();
        }
        w.WriteStartObject("calls");
        w.WriteNumber("total", Calls.Calls);
        w.WriteNumber("warmUp", WarmUp.Calls);
        w.WriteNumber("baselineSeconds", Math.Round(BaselineTime.TotalSeconds, 3));
        Operations(w, "baseline", Baseline);
        Operations(w, "underReloads", UnderReloads);
        w.WriteNumber("failed", Calls.Failed);
        w.WriteNumber("mixed", Calls.Mixed);
        w.WriteNumber("stale", Calls.Stale);
        w.WriteEndObject();
        w.WriteStartObject("versions");
        w.WriteNumber("loaded", VersionsLoaded);
        w.WriteNumber("freed", VersionsFreed);
        w.WriteNumber("freedWithCallsInFlight", FreedWithCallsInFlight);
        w.WriteNumber("callsAfterFree", CallsAfterFree);
        w.WriteNumber("retiredWhileServing", RetiredWhileServing);
        w.WriteNumber("retiredAtDispose", RetiredAtDispose);
        w.WriteNumber("unloadingEvents", UnloadingEvents);
        w.WriteNumber("unloadedEvents", UnloadedEvents);
        w.WriteNumber("unloadStuckEvents", StuckEvents);
        w.WriteNumber("stillDrainingEvents", StillDrainingEvents);
        w.WriteNumber("stuckVersionsWhileServing", StuckVersionsWhileServing);
        w.WriteNumber("retiredAliveWhileServing", RetiredAliveWhileServing);
        w.WriteNumber("aliveAtEnd", AliveAtEnd);
        w.WriteNumber("leaked", Leaked);
        w.WriteNumber("mostWaitingUnload", MostWaitingUnload);
        w.WriteNumber("slowestUnloadMs", Math.Round(SlowestUnload.TotalMilliseconds, 3));
        w.WriteNumber("mostCollections", MostCollections);
        w.WriteEndObject();
        Snapshot(w, "before", Before);
        Snapshot(w, "after", After);
        Snapshot(w, "end", End);
        w.WriteNumber("peakThreads", PeakThreads);
        w.WriteStartArray("collections");
        foreach (int count in Collections)
        {
            w.WriteNumberValue(count);
        }

        w.WriteEndArray();
        w.WriteNumber("allocatedBytes", AllocatedBytes);
        w.WriteNumber("hostWarnings", HostWarnings);
        w.WriteNumber("hostErrors", HostErrors);
        if (Options.Probation)
        {
            w.WriteNumber("hostRollbackWarnings", HostRollbackWarnings);
        }

        w.WriteStartArray("problems");
        foreach (string problem in Problems)
        {
            w.WriteStringValue(problem);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Expect(List<string> failures, long count, string what)
    {
        if (count != 0)
        {
            failures.Add(Invariant($"{count:N0} {what}"));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Rate(long count, TimeSpan time)
        => time >= TimeSpan.FromMilliseconds(100) ? (count / time.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture) : "-";

    private static string Megabytes(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    private static void Row(TextWriter w, string name, long before, long after, long end, string? source)
        => w.WriteLine(Invariant($"  {name,-18} {Megabytes(before),-11} {Megabytes(after),-11} {Megabytes(end),-11} {source}").TrimEnd());

    private static void Count(TextWriter w, string name, int before, int after, int end, string? note)
        => w.WriteLine(Invariant($"  {name,-18} {before,-11} {after,-11} {end,-11} {note}").TrimEnd());

    private static void Snapshot(Utf8JsonWriter w, string name, ProcessSnapshot s)
    {
        w.WriteStartObject(name);
        w.WriteNumber("managedBytes", s.ManagedBytes);
        w.WriteNumber("heapBytes", s.HeapBytes);
        w.WriteNumber("committedBytes", s.CommittedBytes);
        w.WriteNumber("fragmentedBytes", s.FragmentedBytes);
        w.WriteNumber("workingSetBytes", s.WorkingSetBytes);
        w.WriteNumber("privateBytes", s.PrivateBytes);
        w.WriteNumber("threads", s.Threads);
        w.WriteNumber("poolThreads", s.PoolThreads);
        w.WriteNumber("assemblies", s.Assemblies);
        w.WriteNumber("pluginContexts", s.PluginContexts);
        w.WriteNumber("mappedPluginFiles", s.MappedPluginFiles);
        w.WriteEndObject();
    }

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static double MeanMicroseconds(CallStats stats, int kind)
        => stats.Operations[kind] == 0 ? 0 : stats.TotalTicks[kind] * 1_000_000.0 / Stopwatch.Frequency / stats.Operations[kind];

    private static string Micro(CallStats stats, int kind)
        => stats.Operations[kind] == 0 ? "-" : MeanMicroseconds(stats, kind).ToString("N1", CultureInfo.InvariantCulture) + " us";

    private static string Milli(long ticks) => Milliseconds(ticks).ToString("N1", CultureInfo.InvariantCulture) + " ms";

    private static void Operations(Utf8JsonWriter w, string name, CallStats stats)
    {
        w.WriteStartArray(name);
        for (int k = 0; k < CallStats.Kinds; k++)
        {
            w.WriteStartObject();
            w.WriteString("kind", ((OperationKind)k).ToString());
            w.WriteNumber("count", stats.Operations[k]);
            w.WriteNumber("meanMicroseconds", Math.Round(MeanMicroseconds(stats, k), 3));
            w.WriteNumber("maxMilliseconds", Math.Round(Milliseconds(stats.MaxTicks[k]), 3));
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void Times(Utf8JsonWriter w, string name, double[] milliseconds)
    {
        w.WriteStartObject(name);
        w.WriteNumber("median", Math.Round(Percentile(milliseconds, 0.5), 3));
        w.WriteNumber("p99", Math.Round(Percentile(milliseconds, 0.99), 3));
        w.WriteNumber("max", Math.Round(Percentile(milliseconds, 1), 3));
        w.WriteEndObject();
    }

    private static double Percentile(double[] milliseconds, double p)
    {
        if (milliseconds.Length == 0)
        {
            return 0;
        }

        double[] sorted = [.. milliseconds.Order()];
        int index = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }
}
