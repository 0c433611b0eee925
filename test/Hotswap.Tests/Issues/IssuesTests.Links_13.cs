using System.Diagnostics;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Issues;

/// <summary>No links, no escapes (issue 13, item 4).</summary>
public partial class IssuesTests
{
    // The existence, size and hash checks followed links, and ResolveInside compared path strings
    // only: a link whose target path was padded to the file's size passed Verify and pointed outside
    // the version folder. Now a version folder holds real files only: links, reparse points and hard
    // links are refused by Verify naming the entry, and the host keeps serving what it served.

    [Fact]
    public async Task Reload_SymlinkedFileInVersionFolder_RefusedInVerifyNamingItAndPreviousServes()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // creating symbolic links needs a privilege there; CI runs on Linux.
        }

        using var root = new TestRoot();
        (PluginHost host, PublishResult next) = await ServingAndStagedAsync(root);
        await using (host)
        {
            string dll = Path.Combine(next.VersionDirectory, "Greeter.dll");
            string outside = Path.Combine(root.Scratch, "Greeter.dll");
            File.Move(dll, outside);
            File.CreateSymbolicLink(dll, outside);
            Flip(root, next);

            PluginLoadException error = await ReloadRefusedAsync(host);

            Assert.Equal(dll, error.FilePath);
            Assert.Equal(SR.LinkInVersionFolder($"a symbolic link to '{outside}'"), error.Reason);
            Assert.Contains(next.VersionDirectory, error.Message, StringComparison.Ordinal); // the folder, through the file's path
        }
    }

    [Fact]
    public async Task Verify_SymlinkWhoseTargetPathIsPaddedToTheListedSize_RefusedNamingIt()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var root = new TestRoot();
        (PluginHost host, PublishResult next) = await ServingAndStagedAsync(root);
        await using (host)
        {
            string deps = Path.Combine(next.VersionDirectory, "Greeter.deps.json");
            long size = new FileInfo(deps).Length;
            string target = PaddedPath(root.Scratch, size);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(deps, target);
            File.CreateSymbolicLink(deps, target);
            Assert.Equal(size, target.Length); // the link's own size is its target's length: the listed size.

            VerificationResult verified = await PluginPublisher.VerifyAsync(next.VersionDirectory);

            VerificationProblem problem = Assert.Single(verified.Problems);
            Assert.Equal(deps, problem.FilePath);
            Assert.Equal(SR.LinkInVersionFolder($"a symbolic link to '{target}'"), problem.Message);

            Flip(root, next);
            PluginLoadException error = await ReloadRefusedAsync(host);
            Assert.Equal(deps, error.FilePath);
        }
    }

    [Fact]
    public async Task Reload_SymlinkedVersionFolder_RefusedInVerifyNamingItAndPreviousServes()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var root = new TestRoot();
        (PluginHost host, PublishResult next) = await ServingAndStagedAsync(root);
        await using (host)
        {
            string outside = Path.Combine(root.Scratch, next.Version);
            Directory.Move(next.VersionDirectory, outside);
            Directory.CreateSymbolicLink(next.VersionDirectory, outside);
            Flip(root, next);

            PluginLoadException error = await ReloadRefusedAsync(host);

            Assert.Equal(next.VersionDirectory, error.FilePath);
            Assert.Equal(SR.VersionFolderIsLink($"a symbolic link to '{outside}'"), error.Reason);
            RootVerificationResult verified = await PluginPublisher.VerifyRootAsync(root.PluginsRoot);
            Assert.Contains(verified.Versions, v => v.VersionDirectory == next.VersionDirectory && v.Problems.Single().Message == error.Reason);
        }
    }

    [Fact]
    public async Task Reload_HardLinkedFileInVersionFolder_RefusedInVerifyNamingItAndPreviousServes()
    {
        if (!UnixFileStatus.IsSupported)
        {
            return; // hard links are not counted on this platform (documented in docs/plugin-format.md).
        }

        using var root = new TestRoot();
        (PluginHost host, PublishResult next) = await ServingAndStagedAsync(root);
        await using (host)
        {
            string deps = Path.Combine(next.VersionDirectory, "Greeter.deps.json");
            string outside = Path.Combine(root.Scratch, "Greeter.deps.json");
            File.Move(deps, outside);
            Run("ln", outside, deps);
            Flip(root, next);

            PluginLoadException error = await ReloadRefusedAsync(host);

            Assert.Equal(deps, error.FilePath);
            Assert.Equal(SR.HardLinkInVersionFolder(2), error.Reason);
        }
    }

    [Fact]
    public async Task Reload_SymlinkedCurrent_RefusedInDiscoverAndVerifyAgrees()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var root = new TestRoot();
        (PluginHost host, PublishResult next) = await ServingAndStagedAsync(root);
        await using (host)
        {
            string current = PluginLayout.CurrentFile(root.PluginDirectory("alpha"));
            string outside = Path.Combine(root.Scratch, "current");
            await File.WriteAllTextAsync(outside, next.Version);
            File.Delete(current);
            File.CreateSymbolicLink(current, outside);

            PluginLoadException error = await ReloadRefusedAsync(host, ReloadPhase.Discover);

            Assert.Equal(current, error.FilePath);
            Assert.Equal(SR.CurrentIsLink($"a symbolic link to '{outside}'"), error.Reason);
            VerificationProblem problem = Assert.Single((await PluginPublisher.VerifyRootAsync(root.PluginsRoot)).CurrentProblems);
            Assert.Equal(current, problem.FilePath);
            Assert.Equal(error.Reason, problem.Message);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("../beta")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData(".staging-x")]
    [InlineData("/etc")]
    [InlineData("garbage\u0001\u0002")]
    public async Task VerifyRoot_CurrentTheHostRefuses_RefusedWithTheHostsWords(string content)
    {
        using var root = new TestRoot();
        (PluginHost host, _) = await ServingAndStagedAsync(root);
        await using (host)
        {
            string current = PluginLayout.CurrentFile(root.PluginDirectory("alpha"));
            await File.WriteAllTextAsync(current, content);

            PluginLoadException error = await ReloadRefusedAsync(host, ReloadPhase.Discover);

            VerificationProblem problem = Assert.Single((await PluginPublisher.VerifyRootAsync(root.PluginsRoot)).CurrentProblems);
            Assert.Equal(current, problem.FilePath);
            Assert.Equal(error.Reason, problem.Message);
        }
    }

    [Fact]
    public void ResolveInside_PathThroughASymlinkedFolder_IsRefused()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var root = new TestRoot();
        string version = Directory.CreateDirectory(Path.Combine(root.Scratch, "v1")).FullName;
        string outside = Directory.CreateDirectory(Path.Combine(root.Scratch, "elsewhere")).FullName;
        File.WriteAllText(Path.Combine(outside, "x.dll"), "x");
        Directory.CreateSymbolicLink(Path.Combine(version, "lib"), outside);
        Directory.CreateDirectory(Path.Combine(version, "real"));

        Assert.Null(PluginLayout.ResolveInside(version, "lib/x.dll"));
        Assert.Null(PluginLayout.ResolveInside(version, "lib"));
        Assert.Equal(Path.Combine(version, "real", "x.dll"), PluginLayout.ResolveInside(version, "real/x.dll"));
        Assert.Equal(Path.Combine(version, "missing", "x.dll"), PluginLayout.ResolveInside(version, "missing/x.dll"));
    }

    /// <summary>Serves GreeterV1 as "alpha" and stages GreeterV2 beside it, not yet current.</summary>
    private static async Task<(PluginHost Host, PublishResult Next)> ServingAndStagedAsync(TestRoot root)
    {
        await root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PluginHost host = root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        PublishResult next = await root.PublishAsync(Fixtures.GreeterV2, "alpha", activate: false);
        Assert.True((await PluginPublisher.VerifyAsync(next.VersionDirectory)).IsValid);
        return (host, next);
    }

    private static void Flip(TestRoot root, PublishResult next)
        => File.WriteAllText(PluginLayout.CurrentFile(root.PluginDirectory("alpha")), next.Version);

    /// <summary>Reloads, expects alpha refused in the phase given, and checks that v1 still serves, untouched.</summary>
    private static async Task<PluginLoadException> ReloadRefusedAsync(PluginHost host, ReloadPhase phase = ReloadPhase.Verify)
    {
        ReloadResult result = await host.ReloadAsync();

        Assert.False(result.Succeeded);
        PluginLoadException error = result.Error!;
        Assert.Equal("alpha", error.PluginName);
        Assert.Equal(phase, error.Phase);
        Assert.Contains("Plugin 'alpha'", error.Message, StringComparison.Ordinal);
        Assert.Contains(error.FilePath!, error.Message, StringComparison.Ordinal);
        Assert.Equal(1, host.GenerationNumber);
        Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
        return error;
    }

    /// <summary>A path under <paramref name="scratch"/> exactly <paramref name="length"/> characters long, through folders of at most 200.</summary>
    private static string PaddedPath(string scratch, long length)
    {
        string path = Path.Combine(scratch, "pad");
        while (length - path.Length > 202)
        {
            path = Path.Combine(path, new string('p', 200));
        }

        int last = (int)(length - path.Length - 1);
        Assert.True(last > 0, "the scratch path is too long to pad");
        return Path.Combine(path, new string('f', last));
    }

    private static void Run(string file, params string[] args)
    {
        using Process process = Process.Start(new ProcessStartInfo(file, args) { UseShellExecute = false })!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }
}
