using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;

namespace Hotswap.FleetScale;

/// <summary>
/// The parent's handle on one child process (<c>dotnet Hotswap.FleetScale.dll --child ...</c>): its protocol lines
/// (after <see cref="ChildRun.Prefix"/>) in order, commands on its standard input. Closing that input makes the
/// child stop, so a child never outlives a parent that died.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly TextWriter _log;

    private ChildProcess(int index, Process process, TextWriter log)
    {
        Index = index;
        _process = process;
        _log = log;
    }

    public int Index { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Lines the child wrote starting with "error".</summary>
    public List<string> Errors { get; } = [];

    public static ChildProcess Start(int index, ScaleOptions options, string endpoints, string fleet, string work, IEnumerable<string> hostIds, TextWriter log)
    {
        string dll = typeof(ChildProcess).Assembly.Location;
        var info = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (!Path.GetFileNameWithoutExtension(info.FileName).Equals("dotnet", StringComparison.Ordinal))
        {
            info.FileName = "dotnet"; // run from an apphost: the children still run the dll under dotnet
        }

        foreach (string arg in new[]
        {
            dll, "--child", "--endpoints", endpoints, "--fleet", fleet, "--work", work,
            "--lease-ttl", ((int)options.LeaseTtl.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            "--hosts", string.Join(",", hostIds),
        })
        {
            info.ArgumentList.Add(arg);
        }

        // Workstation GC, as each server would run one host; a child holds many hosts' load contexts.
        info.Environment["DOTNET_gcServer"] = "0";
        Process process = Process.Start(info) ?? throw new InvalidOperationException($"Child process {index} did not start.");
        var child = new ChildProcess(index, process, log);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrWhiteSpace(e.Data))
            {
                lock (log)
                {
                    log.WriteLine($"  [child {index}] {e.Data}");
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for the child's next line starting with <paramref name="verb"/> and returns its words after it.</summary>
    public async Task<string[]> ExpectAsync(string verb, CancellationToken cancellationToken)
    {
        while (true)
        {
            string line;
            try
            {
                line = await _lines.Reader.ReadAsync(cancellationToken);
            }
            catch (ChannelClosedException)
            {
                throw new InvalidOperationException($"Child process {Index} exited (code {(_process.HasExited ? _process.ExitCode : -1)}) before it said '{verb}'{(Errors.Count > 0 ? ": " + Errors[0] : "")}.");
            }

            string[] words = line.Split(' ');
            if (words[0] == verb)
            {
                return words[1..];
            }
        }
    }

    public Task SendAsync(string command) => _process.StandardInput.WriteLineAsync(command);

    /// <summary>Stops the child: "stop", then its exit within <paramref name="timeout"/>, else a kill.</summary>
    public async Task<bool> StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return true;
        }

        try
        {
            await _process.StandardInput.WriteLineAsync("stop");
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // It is going already.
        }

        using var bound = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(bound.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _lines.Writer.TryComplete();
            return;
        }

        if (!line.StartsWith(ChildRun.Prefix, StringComparison.Ordinal))
        {
            return; // the etcd client's own console output
        }

        string message = line[ChildRun.Prefix.Length..];
        if (message.StartsWith("error", StringComparison.Ordinal))
        {
            lock (Errors)
            {
                Errors.Add(message);
            }

            lock (_log)
            {
                _log.WriteLine($"  [child {Index}] {message}");
            }
        }

        _lines.Writer.TryWrite(message);
    }
}
