using System.Diagnostics;

namespace Fleet.Host;

/// <summary>One host of the demo's fleet: this program in its <c>host</c> mode, as a child process; its output lines are kept.</summary>
internal sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];

    private HostProcess(string hostId, Process process)
    {
        HostId = hostId;
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (_lines)
                {
                    _lines.Add(line);
                }
            }
        };
        _process.BeginOutputReadLine();
    }

    public string HostId { get; }

    public static HostProcess Start(string endpoints, string fleet, string hostId, string root)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in new[] { typeof(HostProcess).Assembly.Location, "host", "--endpoints", endpoints, "--fleet", fleet, "--host-id", hostId, "--root", root, "--plugin", "greeter", "--call", "greet", "--arg", "you" })
        {
            start.ArgumentList.Add(argument);
        }

        return new HostProcess(hostId, Process.Start(start)!);
    }

    /// <summary>Whether the host printed a line that matches.</summary>
    public bool Printed(Func<string, bool> match)
    {
        lock (_lines)
        {
            return _lines.Any(match);
        }
    }

    /// <summary>The lines the host printed so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Ends the host (the end of its input) and returns its last report line.</summary>
    public async Task<string> StopAsync()
    {
        await _process.StandardInput.WriteLineAsync("exit");
        await _process.StandardInput.FlushAsync();
        await _process.WaitForExitAsync();
        return Lines.LastOrDefault(static l => l.StartsWith("stopped ", StringComparison.Ordinal)) ?? "stopped (no report)";
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
