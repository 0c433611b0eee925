using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// Writes this host's status under the plugins root: holds <c>&lt;id&gt;.lock</c> open with an
/// exclusive lock for the life of the host (the operating system drops it when the process ends),
/// and replaces <c>&lt;id&gt;.json</c> by atomic rename whenever what it reports changes.
/// </summary>
internal sealed class HostStatusWriter : IDisposable
{
    private readonly string _statusFile;
    private readonly string _lockFile;
    private readonly FileStream _lock;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DateTimeOffset _startedAt;
    private readonly Lock _gate = new();
    private string? _lastWritten;
    private bool _disposed;

    private HostStatusWriter(string folder, string hostId, FileStream lockStream, TimeProvider time, ILogger logger)
    {
        HostId = hostId;
        _statusFile = Path.Combine(folder, hostId + ".json");
        _lockFile = Path.Combine(folder, hostId + ".lock");
        _lock = lockStream;
        _time = time;
        _logger = logger;
        _startedAt = time.GetUtcNow();
    }

    public string HostId { get; }

    public static HostStatusWriter? TryCreate(string pluginsRoot, TimeProvider time, ILogger logger)
    {
        try
        {
            if (!Directory.Exists(pluginsRoot))
            {
                // The state folder lives inside the root; creating it would create a root nobody asked for.
                throw new DirectoryNotFoundException(SR.StatusRootMissing(pluginsRoot));
            }

            string folder = Path.Combine(pluginsRoot, HostStatusReader.HostsFolder);
            Directory.CreateDirectory(folder);
            string hostId = $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
            var lockStream = new FileStream(Path.Combine(folder, hostId + ".lock"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
            return new HostStatusWriter(folder, hostId, lockStream, time, logger);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.StatusWriteFailed(logger, pluginsRoot, ex);
            return null;
        }
    }

    /// <summary>
    /// Takes a snapshot and writes it if it differs from the last one written. Never throws for I/O.
    /// </summary>
    /// <remarks>
    /// <paramref name="snapshot"/> runs under the writer's lock, so snapshots are taken in the order
    /// they are written: of two writers racing, the one that writes last also read the host's state
    /// last, and an older snapshot can never overwrite a newer one. Keep it short (it reads the
    /// host's state), and never call back into the writer from it.
    /// </remarks>
    public void Write(Func<HostStatusSnapshot> snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            HostStatusSnapshot taken = snapshot();
            var status = new HostStatus
            {
                HostId = HostId,
                ProcessId = Environment.ProcessId,
                MachineName = Environment.MachineName,
                StartedAt = _startedAt,
                Generation = taken.Generation,
                Plugins = Convert(taken.Plugins),
                CallsInFlight = taken.CallsInFlight,
                Loading = Convert(taken.Loading ?? []),
                Kept = Convert(taken.Kept ?? []),
                Retiring = Convert(taken.Retiring),
                Stuck = [.. taken.Stuck.Select(static r => new PluginVersionStatus { Name = r.Version.PluginName, Version = r.Version.Version, Cause = r.Cause })],
            };
            string content = JsonSerializer.Serialize(status, StatusJsonContext.Default.HostStatus);
            if (content == _lastWritten)
            {
                return;
            }

            string stamped = JsonSerializer.Serialize(new HostStatus
            {
                HostId = status.HostId,
                ProcessId = status.ProcessId,
                MachineName = status.MachineName,
                StartedAt = status.StartedAt,
                UpdatedAt = _time.GetUtcNow(),
                Generation = status.Generation,
                Plugins = status.Plugins,
                CallsInFlight = status.CallsInFlight,
                Loading = status.Loading,
                Kept = status.Kept,
                Retiring = status.Retiring,
                Stuck = status.Stuck,
            }, StatusJsonContext.Default.HostStatus);
            try
            {
                string temp = _statusFile + ".tmp";
                File.WriteAllText(temp, stamped);
                File.Move(temp, _statusFile, overwrite: true);
                _lastWritten = content;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.StatusWriteFailed(_logger, _statusFile, ex);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                File.Delete(_statusFile);
                File.Delete(_lockFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.StatusWriteFailed(_logger, _statusFile, ex);
            }

            _lock.Dispose();
        }
    }

    private static PluginVersionStatus[] Convert(IReadOnlyList<PluginVersionInfo> versions)
        => [.. versions.Select(static v => new PluginVersionStatus { Name = v.PluginName, Version = v.Version })];
}
