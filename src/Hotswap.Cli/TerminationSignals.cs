using System.Runtime.InteropServices;

namespace Hotswap.Cli;

/// <summary>
/// Turns the first Ctrl+C (SIGINT) or SIGTERM into a cancellation, so that the command cleans up (a
/// build's child process stopped, scratch folders deleted, the build lock released) and the process
/// exits 128 + the signal's number: 130 or 143, as a shell reports a process the signal ended. A
/// second signal is left to the runtime's default, which ends the process at once.
/// </summary>
internal sealed class TerminationSignals : IDisposable
{
    public const int InterruptExitCode = 130;
    public const int TerminateExitCode = 143;

    private readonly CancellationTokenSource _cancellation = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _exitCode;

    public TerminationSignals()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, context => OnSignal(context, InterruptExitCode)),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => OnSignal(context, TerminateExitCode)),
        ];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cancellation.Token;

    /// <summary>The exit code the first signal asks for, or <see langword="null"/> when none came.</summary>
    public int? ExitCode => Volatile.Read(ref _exitCode) is > 0 and var code ? code : null;

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }

        _cancellation.Dispose();
    }

    private void OnSignal(PosixSignalContext context, int exitCode)
    {
        if (Interlocked.CompareExchange(ref _exitCode, exitCode, 0) == 0)
        {
            context.Cancel = true;

            // Off the signal thread: cancellation callbacks run the command's cleanup.
            _ = Task.Run(_cancellation.Cancel);
        }
    }
}
