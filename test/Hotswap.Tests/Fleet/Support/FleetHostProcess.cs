using System.Diagnostics;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Fleet.Support;

/// <summary>
/// One host of a fleet as a real process (samples/Fleet/Host in its <c>host</c> mode): a plugins
/// root, a host, an agent, and two threads calling the plugin without pause. Its stdout lines are
/// read as they come; a test waits on them with a deadline.
/// </summary>
internal sealed class FleetHostProcess : IAsyncDisposable
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromMinutes(1);
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];
    private readonly Task _reading;

    private FleetHostProcess(string hostId, string root, Process process)
    {
        HostId = hostId;
        Root = root;
        _process = process;
        _reading = Task.Run(ReadAsync);
    }

    public string HostId { get; }

    public string Root { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts a host process and waits until it joined the fleet.</summary>
    public static async Task<FleetHostProcess> StartAsync(string endpoints, string fleet, string hostId, string root)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { Fixtures.PathOf("sample-Fleet"), "host", "--endpoints", endpoints, "--fleet", fleet, "--host-id", hostId, "--root", root, "--plugin", "alpha", "--call", "greet", "--arg", "you" })
        {
            start.ArgumentList.Add(argument);
        }

        var host = new FleetHostProcess(hostId, root, Process.Start(start)!);
        await host.WaitForLineAsync(line => line == "ready " + hostId);
        return host;
    }

    /// <summary>The first line (already printed, or to come) that matches, within the deadline.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match)
    {
        lock (_lines)
        {
            if (_lines.FirstOrDefault(match) is { } seen)
            {
                return Task.FromResult(seen);
            }

            var waiter = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, waiter));
            return waiter.Task.WaitAsync(s_deadline).ContinueWith(
                t => t.IsCompletedSuccessfully ? t.Result : throw new Xunit.Sdk.XunitException($"Host {HostId} never printed the line expected; it printed:\n{Printed()}\nstderr:\n{(_process.HasExited ? _process.StandardError.ReadToEnd() : "(running)")}"),
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
        }
    }

    /// <summary>Waits until the host's live generation serves <paramref name="version"/> of alpha.</summary>
    public Task WaitServingAsync(string version) => WaitForLineAsync(line => line == $"serving alpha@{version}" || (line.StartsWith("answer ACK alpha@", StringComparison.Ordinal) && line.EndsWith("@" + version, StringComparison.Ordinal)));

    /// <summary>Asks for a report and returns it: calls, failures, serving, answers, reachable.</summary>
    public async Task<HostReport> ReportAsync()
    {
        int before;
        lock (_lines)
        {
            before = _lines.Count;
        }

        await _process.StandardInput.WriteLineAsync("report");
        await _process.StandardInput.FlushAsync();
        string line = await WaitForLineAfterAsync(before, static l => l.StartsWith("report ", StringComparison.Ordinal));
        return HostReport.Parse(line["report ".Length..]);
    }

    /// <summary>Reports again (every 20 ms) until the host made more than <paramref name="calls"/> calls, within the deadline: its callers share two cores with everything else.</summary>
    public async Task<HostReport> WaitForCallsAfterAsync(long calls)
    {
        using var deadline = new CancellationTokenSource(s_deadline);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (true)
        {
            HostReport report = await ReportAsync();
            if (report.Calls > calls)
            {
                return report;
            }

            if (!await tick.WaitForNextTickAsync(deadline.Token).AsTask().ContinueWith(static t => t.IsCompletedSuccessfully, TaskScheduler.Default))
            {
                throw new Xunit.Sdk.XunitException($"Host {HostId} made no call in {s_deadline.TotalSeconds:0} s after {calls}.");
            }
        }
    }

    /// <summary>Stops the process the way an operator would (end of its input) and returns its last report.</summary>
    public async Task<HostReport> StopAsync()
    {
        await _process.StandardInput.WriteLineAsync("exit");
        await _process.StandardInput.FlushAsync();
        string line = await WaitForLineAsync(static l => l.StartsWith("stopped ", StringComparison.Ordinal));
        await _process.WaitForExitAsync().WaitAsync(s_deadline);
        return HostReport.Parse(line["stopped ".Length..]);
    }

    /// <summary>Kills the process (a host that dies), with no goodbye to the fleet: its lease expires.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(s_deadline);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        await _reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _process.Dispose();
    }

    private Task<string> WaitForLineAfterAsync(int index, Func<string, bool> match)
    {
        lock (_lines)
        {
            int seen = 0;
            return WaitForLineAsync(line => seen++ >= index && match(line));
        }
    }

    private string Printed()
    {
        lock (_lines)
        {
            return string.Join("\n", _lines);
        }
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            lock (_lines)
            {
                _lines.Add(line);
                foreach ((Func<string, bool> match, TaskCompletionSource<string> seen) in _waiters.ToList())
                {
                    if (match(line))
                    {
                        _waiters.Remove((match, seen));
                        seen.TrySetResult(line);
                    }
                }
            }
        }
    }
}

/// <summary>A host process's report line.</summary>
internal sealed record HostReport(long Calls, long Failures, string Serving, IReadOnlyList<string> Answers, bool Reachable, string? LastFailure)
{
    public static HostReport Parse(string text)
    {
        Dictionary<string, string> fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(static f => f.Split('=', 2))
            .ToDictionary(static p => p[0], static p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);
        return new HostReport(
            long.Parse(fields["calls"], System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(fields["failures"], System.Globalization.CultureInfo.InvariantCulture),
            fields["serving"],
            fields["answers"].Split(',', StringSplitOptions.RemoveEmptyEntries),
            fields["reachable"] == "True",
            fields.GetValueOrDefault("lastFailure"));
    }
}
