using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Hotswap.FleetScale;

/// <summary>
/// A 3-member etcd cluster on free loopback ports, its data directories in a private folder under the
/// system temp folder: started for one run, every member killed and the folder deleted on dispose.
/// </summary>
/// <remarks>
/// Each member runs beside a small <c>sh</c> guard blocked reading a pipe whose write end only this process
/// holds: however this process ends (Ctrl+C, SIGTERM, a crash, SIGKILL), the pipe closes and the guard
/// SIGKILLs its member, so no etcd outlives the run. The normal path kills the members itself.
/// </remarks>
internal sealed class EtcdLauncher : IAsyncDisposable
{
    private const int MemberCount = 3;

    // Reads until the pipe closes, then kills the member if the pid still runs this member's etcd.
    private const string GuardScript = "cat >/dev/null; grep -qF -- \"$1\" /proc/$0/cmdline 2>/dev/null && kill -9 $0";

    private readonly string _root;
    private readonly List<Process> _processes = [];
    private readonly List<Process> _guards = [];
    private int _disposed;

    private EtcdLauncher(string root, string[] clientUrls)
    {
        _root = root;
        ClientUrls = clientUrls;
    }

    /// <summary>Gets each member's client URL.</summary>
    public IReadOnlyList<string> ClientUrls { get; }

    /// <summary>Gets the client URLs, comma-separated.</summary>
    public string Endpoints => string.Join(",", ClientUrls);

    /// <summary>Gets each member's process id.</summary>
    public IReadOnlyList<int> ProcessIds => [.. _processes.Select(static p => p.Id)];

    /// <summary>Gets how long the start took until every member answered a health check.</summary>
    public TimeSpan StartDuration { get; private set; }

    /// <summary>Starts the members and waits until all are healthy.</summary>
    public static async Task<EtcdLauncher> StartAsync(CancellationToken cancellationToken)
    {
        string etcd = File.Exists("/usr/bin/etcd") ? "/usr/bin/etcd" : "etcd";
        string root = Path.Combine(Path.GetTempPath(), "hotswap-fleetscale-etcd-" + Guid.NewGuid().ToString("N")[..12]);
        CreatePrivateDirectory(root);
        int[] ports = FreePorts(2 * MemberCount);
        string Url(int port) => "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
        string[] clients = [.. Enumerable.Range(0, MemberCount).Select(i => Url(ports[2 * i]))];
        string initial = string.Join(",", Enumerable.Range(0, MemberCount).Select(i => $"m{i}={Url(ports[(2 * i) + 1])}"));
        string token = "fleetscale-" + Guid.NewGuid().ToString("N");
        var cluster = new EtcdLauncher(root, clients);
        long started = Stopwatch.GetTimestamp();
        try
        {
            for (int i = 0; i < MemberCount; i++)
            {
                string dataDir = Path.Combine(root, $"m{i}.data");
                CreatePrivateDirectory(dataDir);
                var info = new ProcessStartInfo(etcd) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (string arg in new[]
                {
                    "--name", $"m{i}", "--data-dir", dataDir,
                    "--listen-client-urls", clients[i], "--advertise-client-urls", clients[i],
                    "--listen-peer-urls", Url(ports[(2 * i) + 1]), "--initial-advertise-peer-urls", Url(ports[(2 * i) + 1]),
                    "--initial-cluster", initial, "--initial-cluster-token", token, "--initial-cluster-state", "new",
                    "--logger", "zap", "--log-outputs", Path.Combine(root, $"m{i}.log"),
                })
                {
                    info.ArgumentList.Add(arg);
                }

                Process member = Process.Start(info) ?? throw new InvalidOperationException($"etcd member m{i} did not start.");
                member.OutputDataReceived += static (_, _) => { };
                member.ErrorDataReceived += static (_, _) => { };
                member.BeginOutputReadLine();
                member.BeginErrorReadLine();
                cluster._processes.Add(member);
                var guard = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
                guard.ArgumentList.Add("-c");
                guard.ArgumentList.Add(GuardScript);
                guard.ArgumentList.Add(member.Id.ToString(CultureInfo.InvariantCulture));
                guard.ArgumentList.Add(dataDir);
                cluster._guards.Add(Process.Start(guard) ?? throw new InvalidOperationException($"The guard of etcd member m{i} did not start."));
            }

            await cluster.WaitHealthyAsync(cancellationToken);
            cluster.StartDuration = Stopwatch.GetElapsedTime(started);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills every member and guard, then deletes the data directories and logs.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        foreach (Process member in _processes)
        {
            try
            {
                if (!member.HasExited)
                {
                    member.Kill();
                    member.WaitForExit(TimeSpan.FromSeconds(10));
                }
            }
            catch (InvalidOperationException)
            {
                // Gone already.
            }

            member.Dispose();
        }

        foreach (Process guard in _guards)
        {
            try
            {
                guard.StandardInput.Close();
                if (!guard.WaitForExit(TimeSpan.FromSeconds(5)))
                {
                    guard.Kill();
                }
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                // Gone already.
            }

            guard.Dispose();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Polls every member's <c>/health</c> until all say healthy (a quorum read each), 30 s at most.</summary>
    private async Task WaitHealthyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        long started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(30))
        {
            if (_processes.FirstOrDefault(static p => p.HasExited) is { } dead)
            {
                throw new InvalidOperationException($"An etcd member exited while starting (exit code {dead.ExitCode}); see its log under {_root}.");
            }

            int healthy = 0;
            foreach (string url in ClientUrls)
            {
                try
                {
                    string body = await http.GetStringAsync(new Uri(url + "/health"), cancellationToken);
                    healthy += body.Contains("\"true\"", StringComparison.Ordinal) ? 1 : 0;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    // Not listening yet.
                }
            }

            if (healthy == MemberCount)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        throw new InvalidOperationException($"The etcd cluster was not healthy within 30 s; its logs are under {_root}.");
    }

    /// <summary>A directory only its owner may enter (mode 700), as etcd wants its data directory.</summary>
    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static int[] FreePorts(int count)
    {
        // Held open together so that the ports differ, then closed for etcd to take.
        var listeners = new List<TcpListener>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(static l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (TcpListener listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}
