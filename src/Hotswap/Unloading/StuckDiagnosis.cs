using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// Asks the host's <see cref="IUnloadDiagnoser"/> what holds the versions reported stuck, and hands
/// each report on with the answer added to its cause.
/// </summary>
/// <remarks>
/// One diagnosis runs at a time, on the thread pool: versions reported while one runs wait and go
/// together into the next, so a burst of stuck versions costs one heap dump, not one each. The host
/// waits at most <see cref="Timeout"/> for an answer; a diagnoser that throws, or does not answer,
/// costs the report nothing but the finding.
/// </remarks>
internal sealed class StuckDiagnosis
{
    /// <summary>The longest wait for one answer, on the host's clock.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly IUnloadDiagnoser _diagnoser;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<PluginVersionInfo, TimeSpan, string> _report;
    private readonly Lock _gate = new();
    private List<StuckFinding> _queue = [];
    private bool _running;

    /// <param name="diagnoser">What names the causes.</param>
    /// <param name="time">The host's clock, for the wait's bound.</param>
    /// <param name="logger">The host's logger, for a diagnoser that fails.</param>
    /// <param name="report">Reports a version stuck with its whole cause; called once for each version given to <see cref="Report"/>.</param>
    public StuckDiagnosis(IUnloadDiagnoser diagnoser, TimeProvider time, ILogger logger, Action<PluginVersionInfo, TimeSpan, string> report)
    {
        _diagnoser = diagnoser;
        _time = time;
        _logger = logger;
        _report = report;
    }

    /// <summary>Queues versions found stuck together; each report is handed on once the diagnosis they join has answered.</summary>
    /// <param name="found">The versions, each with how long it had waited and what the host knows by itself.</param>
    public void Report(IReadOnlyList<StuckFinding> found)
    {
        lock (_gate)
        {
            _queue.AddRange(found);
            if (_running)
            {
                return;
            }

            _running = true;
        }

        // The reporter may be the watchdog's loop or a retirement: neither waits for a heap dump.
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        while (true)
        {
            List<StuckFinding> batch;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _running = false;
                    return;
                }

                batch = _queue;
                _queue = [];
            }

            PluginVersionInfo[] versions = [.. batch.Select(static r => r.Version).Distinct()];
            string name = _diagnoser.GetType().Name;
            IReadOnlyDictionary<PluginVersionInfo, string>? found = null;
            string? failure = null;
            using (var stop = new CancellationTokenSource())
            {
                try
                {
                    found = await _diagnoser.DiagnoseAsync(versions, stop.Token).WaitAsync(Timeout, _time).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                    failure = SR.DiagnosisTimedOut(name, Timeout);
                }
#pragma warning disable CA1031 // Isolation boundary: a diagnoser's failure costs the report its finding, never the report.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.UnloadDiagnosisFailed(_logger, name, string.Join(", ", versions), ex);
                    failure = SR.DiagnosisFailed(name, ex);
                }
            }

            foreach (StuckFinding request in batch)
            {
                string finding = found is not null && found.TryGetValue(request.Version, out string? text) && !string.IsNullOrWhiteSpace(text)
                    ? SR.Diagnosed(text)
                    : failure ?? SR.DiagnosedNothing(name);
                try
                {
                    _report(request.Version, request.Elapsed, request.Cause + finding);
                }
#pragma warning disable CA1031 // Isolation boundary: one report that fails (a custom clock or meter that throws) does not cost the others theirs.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.RetirementFailed(_logger, 0, ex);
                }
            }
        }
    }
}
