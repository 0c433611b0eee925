using System.Diagnostics;
using System.Threading.Channels;

namespace Hotswap.Tests.Support;

/// <summary><c>hotswap watch</c> as a real process, its output read line by line as it comes.</summary>
public sealed class WatchProcess : IAsyncDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _seen = [];

    private WatchProcess(Process process)
    {
        _process = process;
        _ = PumpAsync(process.StandardOutput);
        _ = PumpAsync(process.StandardError);
    }

    public static WatchProcess Start(params string[] args) => new(CliRunner.Start(["watch", .. args]));

    /// <summary>Everything printed so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_seen)
            {
                return string.Join('\n', _seen);
            }
        }
    }

    /// <summary>Reads lines until one matches; returns it and every line read before it (since the last wait).</summary>
    public async Task<(string Line, IReadOnlyList<string> Before)> WaitForAsync(Func<string, bool> match)
    {
        var before = new List<string>();
        using var timeout = new CancellationTokenSource(s_timeout);
        try
        {
            while (true)
            {
                string line = await _lines.Reader.ReadAsync(timeout.Token);
                if (match(line))
                {
                    return (line, before);
                }

                before.Add(line);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            throw new TimeoutException($"watch printed no matching line within {s_timeout.TotalMinutes:0} min (exited: {_process.HasExited}). Output:\n{Output}");
        }
    }

    /// <summary>Waits for the next "Published"/"Current" line of a build, or throws with the output when a build failed first.</summary>
    public async Task<IReadOnlyList<string>> WaitForPublishAsync(string plugin)
    {
        (string line, IReadOnlyList<string> before) = await WaitForAsync(l => l.StartsWith($"Published {plugin} ", StringComparison.Ordinal) || l.StartsWith($"Build of '{plugin}' failed", StringComparison.Ordinal));
        Assert.True(line.StartsWith("Published", StringComparison.Ordinal), $"The build failed:\n{Output}");
        return before;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_seen)
            {
                _seen.Add(line);
            }

            await _lines.Writer.WriteAsync(line);
        }
    }
}
