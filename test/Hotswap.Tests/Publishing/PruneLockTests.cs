using Hotswap.Tests.Support;

namespace Hotswap.Tests.Publishing;

public sealed class PruneLockTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void FileStream_ShareNoneAgainstShareReadWrite_ExcludeEachOtherWithinOneProcess()
    {
        // What PruneLock rests on: .NET maps FileShare.None to flock(LOCK_EX) and other shares to
        // flock(LOCK_SH) on Unix (sharing modes on Windows), per open, so even one process sees it.
        string path = Path.Combine(_root.Directory, "probe.lock");
        using (var shared = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite))
        using (var alsoShared = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite))
        {
            Assert.Throws<IOException>(() => new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }

        using (var exclusive = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            Assert.Throws<IOException>(() => new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite));
        }
    }

    [Fact]
    public void EnterShared_TwoHostsAndThenThePruner_SharedBothGetItExclusiveOnlyOnceBothLeft()
    {
        var clock = new ManualTimeProvider();
        PruneLock? first = PruneLock.EnterShared(_root.PluginsRoot, clock, TimeSpan.Zero);
        PruneLock? second = PruneLock.EnterShared(_root.PluginsRoot, clock, TimeSpan.Zero);

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(PruneLock.EnterExclusive(_root.PluginsRoot, clock, TimeSpan.Zero));
        first.Dispose();
        Assert.Null(PruneLock.EnterExclusive(_root.PluginsRoot, clock, TimeSpan.Zero));
        second.Dispose();
        using PruneLock? pruner = PruneLock.EnterExclusive(_root.PluginsRoot, clock, TimeSpan.Zero);
        Assert.NotNull(pruner);
        Assert.True(pruner.IsExclusive);
        Assert.Null(PruneLock.EnterShared(_root.PluginsRoot, clock, TimeSpan.Zero));
        Assert.True(File.Exists(Path.Combine(_root.PluginsRoot, ".hotswap", "prune.lock")));
    }

    [Fact]
    public void EnterShared_RootMissing_ReturnsNullAndCreatesNothing()
    {
        string missing = Path.Combine(_root.Directory, "missing");

        Assert.Null(PruneLock.EnterShared(missing));
        Assert.False(Directory.Exists(missing));
    }
}
