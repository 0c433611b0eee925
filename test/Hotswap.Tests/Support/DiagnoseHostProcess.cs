using System.Diagnostics;
using System.Threading.Channels;

namespace Hotswap.Tests.Support;

/// <summary>
/// test/DiagnoseHost as a real process: it loads the Pinner fixture as "pinned" (pinning its version
/// the way <c>mode</c> says) and Greeter v1 as "clean", swaps both, and is ready once the old pinned
/// version was reported stuck (or, with mode "none", collected) and the old clean one collected.
/// Stopped by "exit" on its stdin, or killed when disposed.
/// </summary>
public sealed class DiagnoseHostProcess : IAsyncDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _seen = [];

    private DiagnoseHostProcess(Process process)
    {
        _process = process;
        _ = PumpAsync(process.StandardOutput, "");
        _ = PumpAsync(process.StandardError, "stderr: ");
    }

    public int ProcessId => _process.Id;

    /// <summary>Gets the old (retired) version of "pinned".</summary>
    public string PinnedOld { get; private set; } = "";

    /// <summary>Gets the old (retired, collected) version of "clean".</summary>
    public string CleanOld { get; private set; } = "";

    /// <summary>Gets the cause of the stuck report, on one line, when the host diagnosed itself; otherwise null.</summary>
    public string? Cause { get; private set; }

    /// <summary>Gets the cause of the second version's stuck report, when the host was asked to swap twice; otherwise null.</summary>
    public string? SecondCause { get; private set; }

    /// <summary>Starts the host and waits until it printed <c>ready</c>.</summary>
    /// <param name="pluginsRoot">A folder for the host's plugins root.</param>
    /// <param name="mode">How the pinned version is pinned: event, timer, thread, gchandle, typedescriptor, cache, exception, none.</param>
    /// <param name="selfDiagnose">Whether the host names what holds its stuck version itself (UnloadDiagnosers.HeapDump()); it is then ready once its status file has the cause.</param>
    /// <param name="twice">Whether the host then swaps the pinned plugin once more, so that a second version is stuck soon after the first.</param>
    public static async Task<DiagnoseHostProcess> StartAsync(string pluginsRoot, string mode, bool selfDiagnose = false, bool twice = false)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { Fixtures.PathOf("diagnose-host"), pluginsRoot, Fixtures.PathOf(Fixtures.Pinner), Fixtures.PathOf(Fixtures.GreeterV1), mode, selfDiagnose ? "self" : "", twice ? "twice" : "" })
        {
            start.ArgumentList.Add(argument);
        }

        var host = new DiagnoseHostProcess(Process.Start(start)!);
        try
        {
            string loaded = await host.WaitForAsync(static l => l.StartsWith("loaded ", StringComparison.Ordinal));
            string[] versions = loaded["loaded ".Length..].Split(' ');
            host.PinnedOld = versions[0]["pinned@".Length..];
            host.CleanOld = versions[1]["clean@".Length..];
            if (selfDiagnose)
            {
                host.Cause = (await host.WaitForAsync(static l => l.StartsWith("cause ", StringComparison.Ordinal)))["cause ".Length..];
            }

            if (twice)
            {
                host.SecondCause = (await host.WaitForAsync(static l => l.StartsWith("cause2 ", StringComparison.Ordinal)))["cause2 ".Length..];
            }

            await host.WaitForAsync(static l => l == "ready");
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Asks the host to exit and waits until it did.</summary>
    public async Task StopAsync()
    {
        await _process.StandardInput.WriteLineAsync("exit");
        await _process.StandardInput.FlushAsync();
        await _process.WaitForExitAsync().WaitAsync(s_timeout);
        Assert.True(_process.ExitCode == 0, Output());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task<string> WaitForAsync(Func<string, bool> match)
    {
        using var timeout = new CancellationTokenSource(s_timeout);
        try
        {
            while (true)
            {
                string line = await _lines.Reader.ReadAsync(timeout.Token);
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            throw new Xunit.Sdk.XunitException($"The diagnose host never printed the line expected; it printed:\n{Output()}");
        }
    }

    private string Output()
    {
        lock (_seen)
        {
            return string.Join('\n', _seen);
        }
    }

    private async Task PumpAsync(StreamReader reader, string prefix)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_seen)
            {
                _seen.Add(prefix + line);
            }

            if (prefix.Length == 0)
            {
                _lines.Writer.TryWrite(line);
            }
        }

        if (prefix.Length == 0)
        {
            _lines.Writer.TryComplete();
        }
    }
}
