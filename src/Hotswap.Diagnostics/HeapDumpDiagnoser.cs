using System.Globalization;

namespace Hotswap.Diagnostics;

/// <summary>
/// Names what keeps a stuck plugin version alive by dumping this process's heap and reading the
/// dump: the shortest chain of references from a GC root to the version, the root's kind, and what
/// to release. Set it as <see cref="PluginHostOptions.UnloadDiagnoser"/>; what it finds goes into
/// <see cref="UnloadStuckEventArgs.Cause"/>, the log, the status file and <c>hotswap status</c>.
/// </summary>
/// <remarks>
/// <para>
/// The same search as <c>hotswap diagnose</c>, run by the host on itself. The dump pauses the whole
/// process while the runtime writes it (1.5 to 1.7 seconds for a 200 MB heap on the machine of
/// bench/README.md), then it is read on a thread-pool thread and deleted. Versions reported stuck
/// together share one dump.
/// </para>
/// <para>
/// The dump is as large as the heap: <see cref="DumpFolder"/> must have room for it. The process
/// needs its diagnostic port (on unless <c>DOTNET_EnableDiagnostics=0</c>).
/// </para>
/// </remarks>
public sealed class HeapDumpDiagnoser : IUnloadDiagnoser
{
    /// <summary>Gets the folder the dump is written to.</summary>
    /// <value><see langword="null"/> by default: a new folder under the temporary folder, deleted with the dump.</value>
    public string? DumpFolder { get; init; }

    /// <summary>Gets a value indicating whether the dump is kept after it was read, for <c>dotnet-dump analyze</c>; the finding names its path.</summary>
    /// <value><see langword="false"/> by default.</value>
    public bool KeepDump { get; init; }

    /// <inheritdoc/>
    public async Task<IReadOnlyDictionary<PluginVersionInfo, string>> DiagnoseAsync(IReadOnlyList<PluginVersionInfo> versions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(versions);
        cancellationToken.ThrowIfCancellationRequested();

        // The dump is written by the runtime's createdump; waiting for it blocks this thread, so both steps run on the pool.
        return await Task.Run(() => Diagnose(versions, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private Dictionary<PluginVersionInfo, string> Diagnose(IReadOnlyList<PluginVersionInfo> versions, CancellationToken cancellationToken)
    {
        int processId = Environment.ProcessId;
        DiagnoseFindings findings;
        TimeSpan pause;
        string path;
        using (HostDump dump = HostDump.Take(processId, DumpFolder, KeepDump))
        {
            pause = dump.Pause;
            path = dump.Path;
            findings = StuckVersionFinder.Find(dump.Path, plugin: null, cancellationToken);
        }

        string where = string.Create(CultureInfo.InvariantCulture, $"(heap dump of process {processId}; the host was paused {pause.TotalMilliseconds:0} ms{(KeepDump ? $"; the dump is kept at {path}" : "")})");
        var answers = new Dictionary<PluginVersionInfo, string>();
        foreach (PluginVersionInfo version in versions)
        {
            string name = version.ToString();
            if (findings.Stuck.FirstOrDefault(s => s.Plugin == version.PluginName && s.Version == version.Version) is { } stuck)
            {
                RetentionChain chain = stuck.Chain;
                answers[version] = $"{chain.Describe()} (root: {chain.RootKind}). {chain.Advice()} {where}";
            }
            else if (findings.Collecting.Contains(name))
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
