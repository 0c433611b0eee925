using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Fleet.Host;

/// <summary>A local 3-member etcd cluster on free loopback ports, for the demo: started, and killed with its data when disposed.</summary>
internal sealed class EtcdLauncher : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("hotswap-fleet-etcd-").FullName;
    private readonly List<Process> _members = [];

    private EtcdLauncher(string[] clientUrls) => ClientUrls = clientUrls;

    /// <summary>Gets the members' client URLs.</summary>
    public string[] ClientUrls { get; }

    /// <summary>Gets the client URLs, comma-separated.</summary>
    public string Endpoints => string.Join(",", ClientUrls);

    /// <summary>Starts the three members; the caller waits for the cluster to answer.</summary>
    /// <exception cref="InvalidOperationException">etcd is not installed.</exception>
    public static EtcdLauncher Start()
    {
        string etcd = new[] { "/usr/bin/etcd", "/usr/local/bin/etcd" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("The fleet demo needs etcd: install Debian's etcd-server (apt-get install etcd-server), or put etcd on /usr/local/bin.");
        int[] ports = [.. Enumerable.Range(0, 6).Select(_ => FreePort())];
        string[] names = ["m1", "m2", "m3"];
        string cluster = string.Join(",", names.Select((n, i) => $"{n}=http://127.0.0.1:{ports[(2 * i) + 1]}"));
        var launcher = new EtcdLauncher([.. names.Select((_, i) => $"http://127.0.0.1:{ports[2 * i]}")]);
        string token = "hotswap-demo-" + Guid.NewGuid().ToString("N")[..8];
        for (int i = 0; i < names.Length; i++)
        {
            string dir = Path.Combine(launcher._data, names[i]);
            Directory.CreateDirectory(dir);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var start = new ProcessStartInfo(etcd) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string argument in new[]
            {
                "--name", names[i], "--data-dir", dir,
                "--listen-client-urls", launcher.ClientUrls[i], "--advertise-client-urls", launcher.ClientUrls[i],
                "--listen-peer-urls", $"http://127.0.0.1:{ports[(2 * i) + 1]}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{ports[(2 * i) + 1]}",
                "--initial-cluster", cluster, "--initial-cluster-token", token, "--initial-cluster-state", "new",
                "--logger", "zap", "--log-outputs", Path.Combine(launcher._data, names[i] + ".log"),
            })
            {
                start.ArgumentList.Add(argument);
            }

            Process member = Process.Start(start)!;
            member.OutputDataReceived += static (_, _) => { };
            member.ErrorDataReceived += static (_, _) => { };
            member.BeginOutputReadLine();
            member.BeginErrorReadLine();
            launcher._members.Add(member);
        }

        return launcher;
    }

    public void Dispose()
    {
        foreach (Process member in _members)
        {
            if (!member.HasExited)
            {
                member.Kill();
                member.WaitForExit();
            }

            member.Dispose();
        }

        Directory.Delete(_data, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
