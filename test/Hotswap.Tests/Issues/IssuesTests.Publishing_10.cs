using Hotswap.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hotswap.Tests.Issues;

/// <summary>Publishing and pruning defects (issue 10): 8, 13, 14 and 17.</summary>
public partial class IssuesTests
{
    public enum Damage
    {
        /// <summary>One byte flipped: same size, other bytes.</summary>
        Altered,

        /// <summary>Cut to a third.</summary>
        Truncated,
    }

    // Defect 8: a publish that reuses an existing version folder checked only the old manifest, not
    // the files on disk, so a folder changed after publishing was made (or reported) current.

    [Theory]
    [InlineData(Damage.Altered)]
    [InlineData(Damage.Truncated)]
    public async Task PublishAsync_SameSecondAsADamagedVersionFolder_RefusesNamingTheFileAndLeavesCurrent(Damage damage)
    {
        using var root = new TestRoot();
        var clock = new ManualTimeProvider();
        PublishResult serving = await PublishAsync(root, Fixtures.GreeterV2, clock);
        clock.Advance(TimeSpan.FromSeconds(1));
        PublishResult staged = await PublishAsync(root, Fixtures.GreeterV1, clock, activate: false);
        string dll = DamageFile(staged.VersionDirectory, "Greeter.dll", damage);
        VerificationProblem problem = Assert.Single((await PluginPublisher.VerifyAsync(staged.VersionDirectory)).Problems);
        Assert.Equal(dll, problem.FilePath);

        // The same build in the same second gets the same version id: the damaged folder's.
        IOException error = await Assert.ThrowsAsync<IOException>(() => PublishAsync(root, Fixtures.GreeterV1, clock));

        Assert.Equal(SR.VersionFolderDamaged(staged.VersionDirectory, problem, more: 0), error.Message);
        Assert.Contains($"'{dll}'", error.Message, StringComparison.Ordinal);
        Assert.Equal(serving.Version, Current(root));
        Assert.Equal([serving.Version, staged.Version], Folders(root));
    }

    [Theory]
    [InlineData(Damage.Altered)]
    [InlineData(Damage.Truncated)]
    public async Task PublishAsync_SkipIfUnchangedOverADamagedCurrent_PublishesAFreshFolderAndFlipsToIt(Damage damage)
    {
        using var root = new TestRoot();
        var clock = new ManualTimeProvider();
        PublishResult first = await PublishAsync(root, Fixtures.GreeterV1, clock);
        DamageFile(first.VersionDirectory, "Greeter.dll", damage);
        clock.Advance(TimeSpan.FromSeconds(1));

        PublishResult again = await PublishAsync(root, Fixtures.GreeterV1, clock, skipIfUnchanged: true);

        Assert.False(again.Unchanged);
        Assert.True(again.Activated);
        Assert.NotEqual(first.Version, again.Version);
        Assert.Equal(again.Version, Current(root));
        Assert.True((await PluginPublisher.VerifyAsync(again.VersionDirectory)).IsValid);
        Assert.Equal([first.Version, again.Version], Folders(root));
        Assert.False((await PluginPublisher.VerifyAsync(first.VersionDirectory)).IsValid); // left as it was, for the prune
    }

    [Theory]
    [InlineData(Damage.Altered)]
    [InlineData(Damage.Truncated)]
    public async Task PublishAsync_SkipIfUnchangedOverADamagedCurrentInTheSameSecond_RefusesNamingTheFile(Damage damage)
    {
        using var root = new TestRoot();
        var clock = new ManualTimeProvider();
        PublishResult first = await PublishAsync(root, Fixtures.GreeterV1, clock);
        string dll = DamageFile(first.VersionDirectory, "Greeter.dll", damage);
        VerificationProblem problem = Assert.Single((await PluginPublisher.VerifyAsync(first.VersionDirectory)).Problems);

        IOException error = await Assert.ThrowsAsync<IOException>(() => PublishAsync(root, Fixtures.GreeterV1, clock, skipIfUnchanged: true));

        Assert.Equal(SR.VersionFolderDamaged(first.VersionDirectory, problem, more: 0), error.Message);
        Assert.Equal(dll, problem.FilePath);
        Assert.Equal(first.Version, Current(root));
        Assert.Equal([first.Version], Folders(root));
    }

    // Defect 13: versions a host is verifying or loading are in no status file yet, so a prune
    // could delete them; a prune lock closes the window between reading current and saying so.

    [Fact]
    public async Task Prune_VersionAHostReportsLoading_IsKept()
    {
        using var root = new TestRoot();
        var clock = new ManualTimeProvider();
        List<PublishResult> published = await PublishThreeAsync(root, clock);
        using HostStatusWriter writer = HostStatusWriter.TryCreate(root.PluginsRoot, clock, NullLogger.Instance)!; // the root exists.
        writer.Write(() => new HostStatusSnapshot(0, [], 0, [], [], Loading: [new PluginVersionInfo("alpha", published[0].Version)]));

        IReadOnlyList<string> deleted = PluginPublisher.Prune(root.PluginsRoot, "alpha", keep: 0);

        Assert.Equal([published[1].Version], deleted);
        Assert.Equal([published[0].Version, published[2].Version], Folders(root));
        HostStatus status = Assert.Single(HostStatusReader.ReadLiveHosts(root.PluginsRoot));
        Assert.Equal(["alpha@" + published[0].Version], status.Loading.Select(v => v.ToString()));
    }

    [Fact]
    public async Task Prune_WhileAHostHoldsThePruneLockShared_WaitsAndDeletesOnlyAfterItIsReleased()
    {
        using var root = new TestRoot();
        var clock = new ManualTimeProvider();
        List<PublishResult> published = await PublishThreeAsync(root, clock);
        PruneLock host = PruneLock.EnterShared(root.PluginsRoot)!; // a host between reading current and writing its status.
        Assert.NotNull(host);

        Task<IReadOnlyList<string>> prune = Task.Run(() => PluginPruner.Prune(root.PluginsRoot, "alpha", keep: 0, clock, TimeSpan.FromSeconds(5)));
        await Task.WhenAny(prune, clock.WaitForTimerAsync(TimeSpan.FromSeconds(1)));

        Assert.False(prune.IsCompleted, "the prune ran while a host held the lock");
        Assert.Equal(published.Select(p => p.Version), Folders(root));
        host.Dispose();
        IReadOnlyList<string> deleted = await clock.AdvanceUntilAsync(prune, TimeSpan.FromMilliseconds(20));
        Assert.Equal([published[0].Version, published[1].Version], deleted);
        Assert.Equal([published[2].Version], Folders(root));
    }

    [Fact]
    public async Task Prune_SharedLockHeldPastTheTimeout_DeletesNothingAndSaysSo()
    {
        using var root = new TestRoot();
        var clock = new ManualTimeProvider();
        List<PublishResult> published = await PublishThreeAsync(root, clock);
        using PruneLock host = PruneLock.EnterShared(root.PluginsRoot)!;
        Assert.NotNull(host);

        Task<IReadOnlyList<string>> prune = Task.Run(() => PluginPruner.Prune(root.PluginsRoot, "alpha", keep: 0, clock, TimeSpan.FromSeconds(5)));
        IOException error = await Assert.ThrowsAsync<IOException>(() => clock.AdvanceUntilAsync(prune, TimeSpan.FromSeconds(1)));

        Assert.Equal(SR.PruneLockBusy(Path.Combine(root.PluginsRoot, ".hotswap", "prune.lock"), TimeSpan.FromSeconds(5)), error.Message);
        Assert.Equal(published.Select(p => p.Version), Folders(root));
    }

    // Defect 14: a publish flushed nothing, so a power cut could leave current naming a folder
    // whose files or entries never reached the disk.

    [Fact]
    public async Task PublishAsync_AnyBuild_FlushesEveryFileThenTheStagingFolderThenThePluginFolderAfterTheFlip()
    {
        using var root = new TestRoot();
        string pluginDirectory = root.PluginDirectory("alpha");
        PublishResult result;
        List<string> flushed;
        using (Durable.Recording recording = Durable.Record())
        {
            result = await root.PublishAsync(Fixtures.GreeterV1, "alpha");
            flushed = recording.Flushed;
        }

        // The staging folder and the temporary current file have random names: read them off the record.
        string staging = Path.GetDirectoryName(flushed.Single(f => f.EndsWith(Path.DirectorySeparatorChar + PluginManifest.FileName, StringComparison.Ordinal))["file ".Length..])!;
        string currentTemp = flushed.Single(f => f.StartsWith("file " + Path.Combine(pluginDirectory, ".current-"), StringComparison.Ordinal));
        bool directories = !OperatingSystem.IsWindows();
        List<string> expected = [
            .. directories ? ["directory " + root.PluginsRoot] : Array.Empty<string>(),
            .. result.Manifest.Files.Select(f => "file " + Path.Combine(staging, f.Path.Replace('/', Path.DirectorySeparatorChar))).Order(StringComparer.Ordinal),
            "file " + Path.Combine(staging, PluginManifest.FileName),
            .. directories ? ["directory " + staging] : Array.Empty<string>(),
            currentTemp,
            .. directories ? ["directory " + pluginDirectory] : Array.Empty<string>(),
        ];
        Assert.Equal(expected, flushed);
        Assert.Equal(Path.Combine(pluginDirectory, result.Version), result.VersionDirectory);
        Assert.False(Directory.Exists(staging));
    }

    // Defect 17: a status snapshot was built outside the writer's lock, so of two racing writes
    // the older snapshot could be written last.

    [Fact]
    public void Write_SnapshotTakenWhileANewerWriteWaits_TheNewerIsWrittenLast()
    {
        using var root = new TestRoot();
        using HostStatusWriter writer = HostStatusWriter.TryCreate(root.PluginsRoot, new ManualTimeProvider(), NullLogger.Instance)!; // the root exists.
        writer.Write(() => Snapshot(generation: 0)); // warm: the racing writes below run nothing for the first time.
        long state = 1;
        using var olderTaken = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var older = new Thread(() => writer.Write(() =>
        {
            HostStatusSnapshot snapshot = Snapshot(Interlocked.Read(ref state));
            olderTaken.Set();
            release.Wait();
            return snapshot;
        }));
        older.Start();
        olderTaken.Wait();

        // The host's state moves on and a second write starts: it must wait for the first to be
        // written, then read the new state (or, without the lock, it writes first and is overwritten).
        Interlocked.Exchange(ref state, 2);
        var newer = new Thread(() => writer.Write(() => Snapshot(Interlocked.Read(ref state))));
        newer.Start();
        SpinWait.SpinUntil(() => (newer.ThreadState & (ThreadState.WaitSleepJoin | ThreadState.Stopped)) != 0);
        release.Set();
        older.Join();
        newer.Join();

        Assert.Equal(2, Assert.Single(HostStatusReader.ReadLiveHosts(root.PluginsRoot)).Generation);
    }

    private static HostStatusSnapshot Snapshot(long generation) => new(generation, [], 0, [], []);

    private static Task<PublishResult> PublishAsync(TestRoot root, string fixture, TimeProvider clock, bool activate = true, bool skipIfUnchanged = false)
        => PluginPublisher.PublishAsync(Fixtures.PathOf(fixture), root.PluginsRoot, "alpha", new PublishOptions { TimeProvider = clock, Activate = activate, SkipIfUnchanged = skipIfUnchanged });

    /// <summary>Three versions of "alpha", a second apart, the last one current.</summary>
    private static async Task<List<PublishResult>> PublishThreeAsync(TestRoot root, ManualTimeProvider clock)
    {
        var published = new List<PublishResult>();
        foreach (string fixture in (string[])[Fixtures.GreeterV1, Fixtures.GreeterV2, Fixtures.GreeterV1])
        {
            published.Add(await PublishAsync(root, fixture, clock));
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        return published;
    }

    private static string DamageFile(string versionDirectory, string name, Damage damage)
    {
        string path = Path.Combine(versionDirectory, name);
        byte[] bytes = File.ReadAllBytes(path);
        if (damage == Damage.Altered)
        {
            bytes[bytes.Length / 2] ^= 0x01;
        }
        else
        {
            bytes = bytes[..(bytes.Length / 3)];
        }

        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Current(TestRoot root) => File.ReadAllText(Path.Combine(root.PluginDirectory("alpha"), "current")).Trim();

    /// <summary>Every folder in the plugin folder, dot-folders (staging, pruned) included.</summary>
    private static string[] Folders(TestRoot root)
        => [.. Directory.GetDirectories(root.PluginDirectory("alpha")).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];
}
