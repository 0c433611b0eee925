namespace Hotswap.Tests.Support;

/// <summary>The status file a switch queues (<see cref="HostBackground.QueueStatusWrite"/>), for tests that read it right after a reload.</summary>
internal static class StatusWrites
{
    /// <summary>Writes the host's status now, as the queued write will: its snapshot is the host's state at this moment.</summary>
    public static void WriteStatusNow(this PluginHost host) => ((DefaultPluginHost)host).Background.WriteStatus();

    /// <summary>Returns a task that completes after the next status write queued by a switch.</summary>
    public static Task NextQueuedWrite(this PluginHost host)
    {
        HostBackground background = ((DefaultPluginHost)host).Background;
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnWritten()
        {
            background.StatusWritten -= OnWritten;
            written.TrySetResult();
        }

        background.StatusWritten += OnWritten;
        return written.Task;
    }
}
