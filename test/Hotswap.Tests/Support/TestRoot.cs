using TestContracts;

namespace Hotswap.Tests.Support;

/// <summary>A scratch plugins root with its probe session: the fixture plugins loaded from it report here.</summary>
public sealed class TestRoot : IDisposable
{
    private long _publishes;

    public TestRoot()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("hotswap-test-").FullName;
        PluginsRoot = System.IO.Path.Combine(Directory, "plugins");
        System.IO.Directory.CreateDirectory(PluginsRoot);
        Scratch = System.IO.Path.Combine(Directory, "scratch");
        System.IO.Directory.CreateDirectory(Scratch);
        Probe = TestContracts.Probe.Open(PluginsRoot);
    }

    public string Directory { get; }

    public string PluginsRoot { get; }

    public string Scratch { get; }

    public ProbeSession Probe { get; }

    public IReadOnlyList<string> Events => Probe.Events;

    public Task<PublishResult> PublishAsync(string fixture, string pluginName, bool activate = true)
        => PublishFromAsync(Fixtures.PathOf(fixture), pluginName, activate);

    /// <summary>Publishes; each publish gets its own build time, so republishing the same build yields a new version.</summary>
    public Task<PublishResult> PublishFromAsync(string buildOutput, string pluginName, bool activate = true)
    {
        var clock = new ManualTimeProvider();
        clock.Advance(TimeSpan.FromSeconds(Interlocked.Increment(ref _publishes)));
        return PluginPublisher.PublishAsync(buildOutput, PluginsRoot, pluginName, new PublishOptions { Activate = activate, TimeProvider = clock });
    }

    public string PluginDirectory(string pluginName) => System.IO.Path.Combine(PluginsRoot, pluginName);

    public PluginHost CreateHost(Action<PluginHostOptions>? configure = null)
    {
        var options = new PluginHostOptions { PluginsRoot = PluginsRoot };
        configure?.Invoke(options);
        return PluginHost.Create(options);
    }

    public void Dispose()
    {
        TestContracts.Probe.Close(Probe);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A version still loaded by a stuck test may hold files on some platforms; the OS cleans temp.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
