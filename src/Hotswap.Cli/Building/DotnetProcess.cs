using System.ComponentModel;
using System.Diagnostics;

namespace Hotswap.Cli.Building;

/// <summary>
/// Runs <c>dotnet</c> with arguments, handing every line it prints to a callback as it comes. When
/// cancelled (Ctrl+C), it asks the process to stop as Ctrl+C would (SIGINT, so MSBuild cancels its
/// build and leaves its shared build nodes alone), kills its whole tree if it has not ended within
/// <see cref="StopTimeout"/>, and waits for it to be gone before it rethrows: nothing writes into a
/// scratch folder after it returns.
/// </summary>
internal static class DotnetProcess
{
    /// <summary>How long a cancelled process has to stop before its tree is killed.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    // Forces colour into redirected output (see TerminalColour); the build's output is parsed, so it must be plain.
    private const string AllowColourRedirection = "DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION";

    /// <summary>Runs <c>dotnet</c> to its end.</summary>
    /// <param name="arguments">The arguments after <c>dotnet</c>.</param>
    /// <param name="onOutput">Gets each line of standard output; called for one line at a time.</param>
    /// <param name="onError">Gets each line of standard error; called for one line at a time, never at once with <paramref name="onOutput"/>.</param>
    /// <param name="cancellationToken">Stops the process.</param>
    /// <returns>The process's exit code.</returns>
    /// <exception cref="InvalidOperationException"><c>dotnet</c> cannot be started.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the process has ended.</exception>
    public static async Task<int> RunAsync(IEnumerable<string> arguments, Action<string> onOutput, Action<string> onError, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove(AllowColourRedirection);
        cancellationToken.ThrowIfCancellationRequested();
        var gate = new Lock();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Deliver(e.Data, onOutput);
        process.ErrorDataReceived += (_, e) => Deliver(e.Data, onError);
        try
        {
            if (!process.Start())
            {
                throw new InvalidOperationException("Cannot start 'dotnet'. Is the .NET SDK on PATH?");
            }
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"Cannot start 'dotnet': {ex.Message}. Is the .NET SDK on PATH?", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // Waits for the end of both streams too, so every line has been delivered.
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await StopAsync(process).ConfigureAwait(false);
            throw;
        }

        return process.ExitCode;

        void Deliver(string? line, Action<string> to)
        {
            if (line is not null)
            {
                lock (gate)
                {
                    to(line);
                }
            }
        }
    }

    private static async Task StopAsync(Process process)
    {
        if (!OperatingSystem.IsWindows() && Interrupt(process.Id))
        {
            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException)
            {
                // It did not stop in time: kill it below.
            }
        }

        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It has ended meanwhile.
        }

        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Sends SIGINT, as Ctrl+C in a terminal does to every process of the foreground group.</summary>
    private static bool Interrupt(int processId)
    {
        try
        {
            using Process? kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-INT", processId.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false });
            kill?.WaitForExit();
            return kill?.ExitCode == 0;
        }
        catch (Win32Exception)
        {
            return false; // no kill command: kill the tree instead
        }
    }
}
