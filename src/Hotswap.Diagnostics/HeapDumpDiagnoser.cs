using System.Diagnostics;
using System.Globalization;

namespace Hotswap.Diagnostics;

/// <summary>
/// The diagnoser of <see cref="UnloadDiagnosers.HeapDump"/>: a heap dump of this process, read with
/// <see cref="StuckVersionFinder"/>, and for each version asked about the chain that holds it.
/// </summary>
/// <param name="folder">Where dumps go, or <see langword="null"/> for a private temporary folder.</param>
/// <param name="keep">Whether dumps are kept after reading.</param>
/// <param name="ends">How many objects of a chain to name at each end.</param>
/// <param name="interval">The shortest time between two dumps of the process.</param>
internal sealed class HeapDumpDiagnoser(string? folder, bool keep, int ends, TimeSpan interval) : IUnloadDiagnoser
{
    // Process-wide: the pause is the whole process's, whichever host (or diagnoser) asks for it; two never overlap.
    private static readonly Lock s_dumps = new();
    private static long s_lastDump;

    public async Task<IReadOnlyDictionary<PluginVersionInfo, string>> DiagnoseAsync(UnloadDiagnosisArguments arguments, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // The dump is written by the runtime's createdump; waiting for it blocks this thread, so both steps run on the pool.
        return await Task.Run(() => Diagnose(arguments.Versions, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private Dictionary<PluginVersionInfo, string> Diagnose(IReadOnlyList<PluginVersionInfo> versions, CancellationToken cancellationToken)
    {
        lock (s_dumps)
        {
            if (s_lastDump != 0 && Stopwatch.GetElapsedTime(s_lastDump) is var since && since < interval)
            {
                string skipped = string.Create(CultureInfo.InvariantCulture, $"(not named: this process was dumped {since.TotalSeconds:0} s ago, and HeapDumpOptions.MinimumInterval is {interval}; 'hotswap diagnose {Environment.ProcessId}' dumps it now)");
                return versions.Distinct().ToDictionary(static v => v, _ => skipped);
            }

            s_lastDump = Stopwatch.GetTimestamp();
            return DumpAndFind(versions, cancellationToken);
        }
    }

    private Dictionary<PluginVersionInfo, string> DumpAndFind(IReadOnlyList<PluginVersionInfo> versions, CancellationToken cancellationToken)
    {
        int processId = Environment.ProcessId;
        DiagnoseFindings? findings = null;
        TimeSpan pause = TimeSpan.Zero;
        string path = "";

        // A dump taken in the middle of a garbage collection (the host's watchdog forces some) cannot be walked: one more try.
        for (int attempt = 1; findings is null; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using HostDump dump = HostDump.Take(processId, folder, keep);
            pause = dump.Pause;
            path = dump.Path;
            try
            {
                findings = StuckVersionFinder.Find(dump.Path, plugin: null, cancellationToken);
            }
            catch (HeapNotWalkableException) when (attempt == 1)
            {
            }
            catch (InvalidOperationException ex) when (keep)
            {
                throw new InvalidOperationException($"{ex.Message} (The dump is kept at {dump.Path}.)", ex);
            }
        }

        string where = string.Create(CultureInfo.InvariantCulture, $"(heap dump of process {processId}; the host was paused {pause.TotalMilliseconds:0} ms{(keep ? $"; the dump is kept at {path}" : "")})");
        var answers = new Dictionary<PluginVersionInfo, string>();
        foreach (PluginVersionInfo version in versions)
        {
            if (findings.Stuck.FirstOrDefault(s => s.Plugin == version.PluginName && s.Version == version.Version) is { } stuck)
            {
                RetentionChain chain = stuck.Chain;
                answers[version] = $"{chain.Describe(ends)} (root: {chain.RootKind}). {chain.Advice()} {where}";
            }
            else if (findings.Collecting.Contains(version.ToString()))
            {
                answers[version] = $"no root reaches it any more: the runtime is collecting it {where}.";
            }
            else
            {
                answers[version] = $"its load context was not in the heap: it was collected before the dump {where}.";
            }
        }

        return answers;
    }
}
