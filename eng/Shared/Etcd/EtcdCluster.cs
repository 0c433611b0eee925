using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hotswap.Shared.Etcd;

/// <summary>
/// A real 3-member etcd cluster on loopback (Debian's <c>etcd</c> 3.4, which <c>.ci/run</c> installs), with its
/// own free ports, data directories and cluster token, so clusters started side by side never meet.
/// </summary>
/// <remarks>
/// One source, compiled into the fleet tests, the fleet scale bench and the fleet sample (a linked
/// <c>Compile</c> item in each project), so each keeps what the others need: the tests kill, restart and stop
/// members; the bench reads the members' metrics and process ids; the sample runs its demo on it.
/// Every member runs under a small <c>sh</c> guard that holds the read end of a pipe whose write end only this
/// process holds: when this process dies, however it dies, the pipe closes and the guard SIGKILLs its member, so
/// no etcd outlives it. <see cref="DisposeAsync"/> kills every member and deletes the data directories.
/// Members log to files in the cluster's folder; every exception about a member carries its log's tail.
/// Not thread-safe: one caller drives one cluster.
/// </remarks>
internal sealed class EtcdCluster : IAsyncDisposable
{
    /// <summary>How many members the cluster has.</summary>
    public const int MemberCount = 3;

    private static readonly TimeSpan s_healthDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(100);
    private const int StartAttempts = 3;
    private const string RootPrefix = "hotswap-etcd-";
    private const string OwnerFile = "owner.pid";

    private readonly string _root;
    private readonly string _token;
    private readonly Member[] _members;

    private EtcdCluster(string root, string token, Member[] members)
    {
        _root = root;
        _token = token;
        _members = members;
    }

    /// <summary>The client URLs of every member, comma-separated, as <c>FleetStoreOptions.Endpoints</c> takes them.</summary>
    public string Endpoints => string.Join(",", ClientUrls);

    /// <summary>Each member's client URL, in member order.</summary>
    public IReadOnlyList<string> ClientUrls => [.. _members.Select(static m => m.ClientUrl)];

    /// <summary>The process ids of the members that run now, in member order (to read their CPU and memory in <c>/proc</c>).</summary>
    public IReadOnlyList<int> ProcessIds => [.. _members.Select(static m => m.ProcessId).OfType<int>()];

    /// <summary>The folder holding the members' data directories and logs.</summary>
    public string Root => _root;

    /// <summary>How long the last start of the whole cluster took until every member was healthy.</summary>
    public TimeSpan LastStartDuration { get; private set; }

    /// <summary>Starts a new cluster and waits until every member is healthy.</summary>
    /// <param name="cancellationToken">Cancels the start (the members started so far are killed).</param>
    /// <returns>The healthy cluster; the caller disposes it.</returns>
    /// <exception cref="InvalidOperationException">etcd is not installed, or the cluster did not become healthy (the message holds the members' log tails).</exception>
    public static async Task<EtcdCluster> StartAsync(CancellationToken cancellationToken = default)
    {
        string etcd = FindExecutable("etcd");
        FindExecutable("etcdctl");
        SweepAbandoned();
        Exception? last = null;
        // Free ports are found by binding port 0, then released for etcd to take: another process may take one
        // in between. That shows as a failed start ("address already in use"), so a start is tried again on
        // new ports, each time on a new token and new data directories.
        for (int attempt = 1; attempt <= StartAttempts; attempt++)
        {
            string root = Path.Combine(Path.GetTempPath(), RootPrefix + Guid.NewGuid().ToString("N")[..12]);
            CreatePrivateDirectory(root);
            File.WriteAllText(Path.Combine(root, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            int[] ports = FreePorts(MemberCount * 2);
            var members = new Member[MemberCount];
            for (int i = 0; i < MemberCount; i++)
            {
                members[i] = new Member(i, "m" + i.ToString(CultureInfo.InvariantCulture), ports[2 * i], ports[(2 * i) + 1], root, etcd);
            }

            var cluster = new EtcdCluster(root, "hotswap-" + Guid.NewGuid().ToString("N"), members);
            try
            {
                await cluster.StartMembersAsync("new", cancellationToken);
                return cluster;
            }
            catch (InvalidOperationException e) when (attempt < StartAttempts && cluster.LogsContain("address already in use"))
            {
                last = e;
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }

            await cluster.DisposeAsync();
        }

        throw new InvalidOperationException("The etcd cluster could not start on free ports after " + StartAttempts + " attempts.", last);
    }

    /// <summary>The client URL of one member.</summary>
    /// <param name="member">The member's index, 0 to 2.</param>
    /// <returns>The member's client URL, for example <c>http://127.0.0.1:41234</c>.</returns>
    public string ClientUrl(int member) => Get(member).ClientUrl;

    /// <summary>Whether a member's process is running.</summary>
    /// <param name="member">The member's index, 0 to 2.</param>
    /// <returns><see langword="true"/> while the member runs.</returns>
    public bool IsRunning(int member) => Get(member).IsRunning;

    /// <summary>SIGKILLs one member and waits until its process is gone; its data directory stays.</summary>
    /// <param name="member">The member's index, 0 to 2.</param>
    public void KillMember(int member) => Get(member).Kill();

    /// <summary>Restarts a killed member on its existing data directory and waits until it is healthy.</summary>
    /// <param name="member">The member's index, 0 to 2.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the member answers health checks.</returns>
    /// <exception cref="InvalidOperationException">The member runs already, or did not become healthy (the message holds its log tail).</exception>
    public async Task StartMemberAsync(int member, CancellationToken cancellationToken = default)
    {
        Member m = Get(member);
        if (m.IsRunning)
        {
            throw new InvalidOperationException($"etcd member {m.Name} runs already; kill it before starting it again.");
        }

        m.Start(InitialCluster, _token, "existing");
        await WaitHealthyAsync(new[] { m }, cancellationToken);
    }

    /// <summary>Kills every member (the whole cluster down); the data directories stay.</summary>
    /// <returns>A task that completes when every member's process is gone.</returns>
    public Task StopAllAsync()
    {
        foreach (Member m in _members)
        {
            m.Kill();
        }

        return Task.CompletedTask;
    }

    /// <summary>Starts every member that is not running on its existing data and waits until all are healthy.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when every member is healthy.</returns>
    public Task StartAllAsync(CancellationToken cancellationToken = default) => StartMembersAsync("existing", cancellationToken);

    /// <summary>Kills every member this cluster started and deletes its data directories and logs.</summary>
    /// <returns>A task that completes when the processes are gone and the folder is deleted.</returns>
    public ValueTask DisposeAsync()
    {
        foreach (Member m in _members)
        {
            m.Kill();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Deleted already.
        }

        return ValueTask.CompletedTask;
    }

    private string InitialCluster => string.Join(",", _members.Select(m => m.Name + "=" + m.PeerUrl));

    private Member Get(int member)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(member);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(member, MemberCount);
        return _members[member];
    }

    private async Task StartMembersAsync(string state, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        foreach (Member m in _members)
        {
            if (!m.IsRunning)
            {
                m.Start(InitialCluster, _token, state);
            }
        }

        await WaitHealthyAsync(_members, cancellationToken);
        LastStartDuration = Stopwatch.GetElapsedTime(started);
    }

    private bool LogsContain(string text) => _members.Any(m => m.LogTail().Contains(text, StringComparison.Ordinal));

    /// <summary>Polls <c>etcdctl endpoint health</c> on the members (a linearizable read on each) until all answer, with a deadline.</summary>
    private static async Task WaitHealthyAsync(IReadOnlyList<Member> members, CancellationToken cancellationToken)
    {
        string endpoints = string.Join(",", members.Select(m => m.ClientUrl));
        long started = Stopwatch.GetTimestamp();
        string lastOutput = "";
        while (Stopwatch.GetElapsedTime(started) < s_healthDeadline)
        {
            foreach (Member m in members)
            {
                if (!m.IsRunning)
                {
                    throw new InvalidOperationException($"etcd member {m.Name} exited while starting (exit code {m.ExitCode}). Its log ends with:\n{m.LogTail()}");
                }
            }

            (int code, string output) = await RunEtcdctlAsync(endpoints, cancellationToken, "endpoint", "health");
            if (code == 0)
            {
                return;
            }

            lastOutput = output;
            await Task.Delay(s_pollInterval, cancellationToken);
        }

        var message = new StringBuilder($"etcd members {string.Join(", ", members.Select(m => m.Name))} were not healthy within {s_healthDeadline.TotalSeconds:0} s; etcdctl said: {lastOutput.Trim()}");
        foreach (Member m in members)
        {
            message.Append("\n--- log of ").Append(m.Name).Append(" ---\n").Append(m.LogTail());
        }

        throw new InvalidOperationException(message.ToString());
    }

    /// <summary>Runs <c>etcdctl</c> (API v3) against the endpoints, bounded in time, and returns its exit code and output.</summary>
    private static async Task<(int Code, string Output)> RunEtcdctlAsync(string endpoints, CancellationToken cancellationToken, params string[] args)
    {
        var info = new ProcessStartInfo("etcdctl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["ETCDCTL_API"] = "3";
        info.ArgumentList.Add("--endpoints=" + endpoints);
        info.ArgumentList.Add("--dial-timeout=1s");
        info.ArgumentList.Add("--command-timeout=2s");
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("etcdctl did not start.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            Task<string> stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout + await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }
    }

    /// <summary>
    /// Deletes the folders of clusters whose owning process died before it could (its members died with it, by
    /// their guards); a folder whose owner still runs, or that has no owner file yet, is left alone.
    /// </summary>
    private static void SweepAbandoned()
    {
        foreach (string root in Directory.EnumerateDirectories(Path.GetTempPath(), RootPrefix + "*"))
        {
            try
            {
                string owner = Path.Combine(root, OwnerFile);
                if (File.Exists(owner) && int.TryParse(File.ReadAllText(owner), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && !IsAlive(pid))
                {
                    Directory.Delete(root, recursive: true);
                }
            }
            catch (IOException)
            {
                // Another run sweeps or uses it; leave it.
            }
            catch (UnauthorizedAccessException)
            {
                // Another user's; leave it.
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
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
        // All listeners are held open together so the ports differ from each other, then closed for etcd.
        var listeners = new List<TcpListener>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (TcpListener listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    private static string FindExecutable(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new InvalidOperationException($"'{name}' is not on PATH: install Debian's etcd-server and etcd-client ('apt-get update && apt-get install -y etcd-server etcd-client'; .ci/run does it), or put etcd and etcdctl on PATH.");
    }

    /// <summary>One member: its ports, data directory, log, and its process and guard while it runs.</summary>
    private sealed class Member
    {
        // The guard blocks reading a pipe whose write end only this process holds; when the read ends (the pipe
        // closed by Cleanup, or by the death of this process, however it died) it SIGKILLs the member, after
        // checking that the pid still runs this member's etcd (its data directory is on the command line).
        private const string GuardScript = "cat >/dev/null; grep -qF -- \"$1\" /proc/$0/cmdline 2>/dev/null && kill -9 $0";

        private readonly string _etcd;
        private readonly string _dataDir;
        private readonly string _log;
        private readonly StringBuilder _stderr = new();
        private Process? _process;
        private Process? _guard;

        public Member(int index, string name, int clientPort, int peerPort, string root, string etcd)
        {
            Index = index;
            Name = name;
            ClientUrl = "http://127.0.0.1:" + clientPort.ToString(CultureInfo.InvariantCulture);
            PeerUrl = "http://127.0.0.1:" + peerPort.ToString(CultureInfo.InvariantCulture);
            _etcd = etcd;
            _dataDir = Path.Combine(root, name + ".data");
            _log = Path.Combine(root, name + ".log");
        }

        public int Index { get; }

        public string Name { get; }

        public string ClientUrl { get; }

        public string PeerUrl { get; }

        public bool IsRunning => _process is { HasExited: false };

        public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

        public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

        public void Start(string initialCluster, string token, string state)
        {
            Debug.Assert(!IsRunning, "A running member is not started again.");
            Cleanup();
            CreatePrivateDirectory(_dataDir);
            var info = new ProcessStartInfo(_etcd)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (string arg in new[]
            {
                "--name", Name,
                "--data-dir", _dataDir,
                "--listen-client-urls", ClientUrl,
                "--advertise-client-urls", ClientUrl,
                "--listen-peer-urls", PeerUrl,
                "--initial-advertise-peer-urls", PeerUrl,
                "--initial-cluster", initialCluster,
                "--initial-cluster-token", token,
                "--initial-cluster-state", state,
                "--logger", "zap",
                "--log-outputs", _log,
            })
            {
                info.ArgumentList.Add(arg);
            }

            lock (_stderr)
            {
                _stderr.Clear();
            }

            var process = new Process { StartInfo = info };
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.Start();
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            _process = process;

            var guard = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, UseShellExecute = false };
            guard.ArgumentList.Add("-c");
            guard.ArgumentList.Add(GuardScript);
            guard.ArgumentList.Add(process.Id.ToString(CultureInfo.InvariantCulture));
            guard.ArgumentList.Add(_dataDir);
            _guard = Process.Start(guard);
            if (_guard is null)
            {
                Kill();
                throw new InvalidOperationException($"The guard of etcd member {Name} did not start; the member was killed.");
            }
        }

        public void Kill()
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill();
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }

            Cleanup();
        }

        public string LogTail()
        {
            var tail = new StringBuilder();
            try
            {
                using var stream = new FileStream(_log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream);
                string[] lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
                tail.AppendJoin("\n", lines.Skip(Math.Max(0, lines.Length - 25)));
            }
            catch (IOException e)
            {
                tail.Append("(no log file: ").Append(e.Message).Append(')');
            }

            lock (_stderr)
            {
                if (_stderr.Length > 0)
                {
                    tail.Append("\n(stdout/stderr) ").Append(_stderr);
                }
            }

            return tail.ToString();
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_stderr)
            {
                if (_stderr.Length < 16_384)
                {
                    _stderr.AppendLine(line);
                }
            }
        }

        private void Cleanup()
        {
            if (_guard is { } guard)
            {
                // Closing the pipe ends the guard's read; the member is gone already, so its check finds nothing to kill.
                try
                {
                    guard.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The guard is gone already.
                }

                if (!guard.WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    guard.Kill();
                }

                guard.Dispose();
                _guard = null;
            }

            _process?.Dispose();
            _process = null;
        }
    }
}
