using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// Asks the host's <see cref="IUnloadDiagnoser"/> what holds the versions found stuck, and hands
/// each on to be reported with the answer added to its cause.
/// </summary>
/// <remarks>
/// <para>
/// One diagnosis runs at a time, on the thread pool: versions found while one runs wait and go
/// together into the next, so a burst of stuck versions costs one heap dump, not one each. The host
/// waits at most <see cref="Timeout"/> for an answer; a diagnoser that throws, or does not answer,
/// costs the report nothing but the finding. A diagnosis given up on may still be running (a heap
/// dump cannot be interrupted): until it ends, no other starts, and the versions found meanwhile
/// are reported without one.
/// </para>
/// <para>
/// Every version handed to <see cref="Report"/> is handed on exactly once, whatever the diagnoser
/// does; once the host stops (<see cref="StopAsync"/>), without a diagnosis.
/// </para>
/// </remarks>
internal sealed class StuckDiagnosis
{
    /// <summary>The longest wait for one answer, on the host's clock.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly IUnloadDiagnoser _diagnoser;
    private readonly string _name;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<StuckFinding, string> _report;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lock _gate = new();
    private List<StuckFinding> _queue = [];
    private bool _active;
    private Task _running = Task.CompletedTask;
    private Task _abandoned = Task.CompletedTask;

    /// <param name="diagnoser">What names the causes.</param>
    /// <param name="time">The host's clock, for the wait's bound.</param>
    /// <param name="logger">The host's logger.</param>
    /// <param name="report">Reports a version stuck with its whole cause; called once for each version given to <see cref="Report"/>, and never throws.</param>
    public StuckDiagnosis(IUnloadDiagnoser diagnoser, TimeProvider time, ILogger logger, Action<StuckFinding, string> report)
    {
        _diagnoser = diagnoser;
        _name = diagnoser.GetType().Name;
        _time = time;
        _logger = logger;
        _report = report;
    }

    /// <summary>Queues versions found stuck together; each is reported once the diagnosis it joins has answered.</summary>
    /// <param name="found">The versions.</param>
    public void Report(IReadOnlyList<StuckFinding> found)
    {
        lock (_gate)
        {
            _queue.AddRange(found);
            if (_active)
            {
                return;
            }

            _active = true;

            // The reporter is the watchdog's loop or a retirement: neither waits for a heap dump.
            using (ExecutionContext.SuppressFlow())
            {
                _running = Task.Run(RunAsync);
            }
        }
    }

    /// <summary>Cancels the diagnosis running, reports what is queued without one, and waits (within <paramref name="timeout"/>) until every report was made.</summary>
    /// <param name="timeout">The longest wait, on the host's clock.</param>
    /// <returns>A task that completes when the reports were made, or at the timeout.</returns>
    public async Task StopAsync(TimeSpan timeout)
    {
        Task running;
        lock (_gate)
        {
            running = _running;
        }

        try
        {
            await _lifetime.CancelAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A callback the diagnoser registered on its token threw: stopping goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.UnloadDiagnosisFailed(_logger, _name, "(stopping)", ex);
        }

        try
        {
            await running.WaitAsync(timeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A report that blocks (an event handler that never returns) does not hold the host's disposal.
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await RunBatchesAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Nothing here should throw; if it did, the next Report starts again with what is queued.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.UnloadDiagnosisFailed(_logger, _name, "(the diagnosis loop)", ex);
            lock (_gate)
            {
                _active = false;
            }
        }
    }

    private async Task RunBatchesAsync()
    {
        while (true)
        {
            List<StuckFinding> batch;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _active = false; // under the lock: a Report from now on starts a new run
                    return;
                }

                batch = _queue;
                _queue = [];
            }

            Func<StuckFinding, string> finding = await DiagnoseAsync(batch).ConfigureAwait(false);
            foreach (StuckFinding stuck in batch)
            {
                string text;
                try
                {
                    text = finding(stuck);
                }
#pragma warning disable CA1031 // Isolation boundary: the diagnoser's answer (its own dictionary) failed to read; the version is reported anyway.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.UnloadDiagnosisFailed(_logger, _name, stuck.Version.ToString(), ex);
                    text = SR.DiagnosisFailed(_name, ex) + SR.FindTheChain;
                }

                _report(stuck, stuck.Cause + text);
            }
        }
    }

    /// <summary>Asks the diagnoser about a batch; never throws: returns, for each version, what to add to its cause.</summary>
    private async Task<Func<StuckFinding, string>> DiagnoseAsync(List<StuckFinding> batch)
    {
        if (_lifetime.IsCancellationRequested)
        {
            return static _ => SR.NotDiagnosedStopping + SR.FindTheChain;
        }

        if (!_abandoned.IsCompleted)
        {
            string busy = SR.DiagnosisStillRunning(_name, Timeout) + SR.FindTheChain;
            return _ => busy;
        }

        PluginVersionInfo[] versions = [.. batch.Select(static f => f.Version).Distinct()];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);

        // On the pool: a diagnoser that does its work before it returns a task is bounded like one that does not.
        Task<IReadOnlyDictionary<PluginVersionInfo, string>> task = Task.Run(() => _diagnoser.DiagnoseAsync(new UnloadDiagnosisArguments(versions), stop.Token), CancellationToken.None);
        try
        {
            IReadOnlyDictionary<PluginVersionInfo, string>? found = await task.WaitAsync(Timeout, _time, _lifetime.Token).ConfigureAwait(false);
            string nothing = SR.DiagnosedNothing(_name) + SR.FindTheChain;
            return f => found is not null && found.TryGetValue(f.Version, out string? text) && !string.IsNullOrWhiteSpace(text) ? SR.Diagnosed(text) : nothing;
        }
        catch (Exception ex) when (!task.IsCompleted && ex is TimeoutException or OperationCanceledException)
        {
            // Given up on: at the bound, or because the host stops. It may still be running.
            _abandoned = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            try
            {
                await stop.CancelAsync().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A callback the diagnoser registered on its token threw: the reports go on.
            catch (Exception callback)
#pragma warning restore CA1031
            {
                Log.UnloadDiagnosisFailed(_logger, _name, string.Join(", ", versions), callback);
            }

            if (_lifetime.IsCancellationRequested)
            {
                return static _ => SR.NotDiagnosedStopping + SR.FindTheChain;
            }

            Log.UnloadDiagnosisTimedOut(_logger, _name, string.Join(", ", versions), Timeout.TotalMinutes);
            string late = SR.DiagnosisTimedOut(_name, Timeout) + SR.FindTheChain;
            return _ => late;
        }
#pragma warning disable CA1031 // Isolation boundary: a diagnoser's failure costs the reports their finding, never the reports.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.UnloadDiagnosisFailed(_logger, _name, string.Join(", ", versions), ex);
            string failed = SR.DiagnosisFailed(_name, ex) + SR.FindTheChain;
            return _ => failed;
        }
    }
}
