using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Unloading;

/// <summary>
/// <see cref="PluginHostOptions.UnloadDiagnoser"/>: a version found stuck is reported once the
/// diagnoser has answered, with its finding in the cause (the event, <see cref="PluginHost.StuckVersions"/>,
/// the status file); a diagnoser that fails or never answers costs the report only the finding.
/// The diagnoser here is the test's own; the heap-dump one runs against a real host process in
/// <c>DiagnoseCommandTests.SelfDiagnosis_...</c>.
/// </summary>
public sealed class UnloadDiagnosisTests : IDisposable
{
    private static readonly TimeSpan s_step = TimeSpan.FromMilliseconds(250);
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Stuck_WithADiagnoser_VersionsStuckTogetherShareOneDiagnosis_AndEachReportCarriesItsFinding()
    {
        var time = new ManualTimeProvider();
        var diagnoser = new GatedDiagnoser();
        PublishResult sticky = await _root.PublishAsync(Fixtures.Sticky, "sticky");
        PublishResult other = await _root.PublishAsync(Fixtures.Sticky, "other");
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = CreateHost(time, diagnoser);
        var observer = new HostObserver(host);
        try
        {
            (await host.LoadAsync()).EnsureSuccess();
            await RetireAsync(host, "sticky", "other");

            IReadOnlyList<PluginVersionInfo> asked = await time.AdvanceUntilAsync(diagnoser.Called, s_step);

            // One question for both: found stuck in the same round of the watchdog.
            var stickyVersion = new PluginVersionInfo("sticky", sticky.Version);
            var otherVersion = new PluginVersionInfo("other", other.Version);
            Assert.Equal([otherVersion, stickyVersion], asked.OrderBy(static v => v.PluginName, StringComparer.Ordinal));

            // Until it answers, nothing is reported and the host serves as before.
            Assert.Empty(observer.Stuck);
            Assert.Empty(host.StuckVersions);
            Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));

            Task<UnloadStuckEventArgs> stickyStuck = observer.WhenStuck("sticky", sticky.Version);
            Task<UnloadStuckEventArgs> otherStuck = observer.WhenStuck("other", other.Version);
            diagnoser.Answer(new Dictionary<PluginVersionInfo, string> { [stickyVersion] = "static field TestContracts.HostEvents.Tick -> Sticky.StickyPlugin." });
            UnloadStuckEventArgs stickyReport = await stickyStuck;
            UnloadStuckEventArgs otherReport = await otherStuck;

            Assert.StartsWith($"The load context of sticky@{sticky.Version} is still alive ", stickyReport.Cause, StringComparison.Ordinal);
            Assert.EndsWith("release them in OnFreeAsync. What holds it: static field TestContracts.HostEvents.Tick -> Sticky.StickyPlugin.", stickyReport.Cause, StringComparison.Ordinal);
            Assert.Contains("release them in OnFreeAsync. The unload diagnoser (GatedDiagnoser) named nothing for it. To find the chain: hotswap diagnose ", otherReport.Cause);
            Assert.Single(diagnoser.Calls);
            Assert.Equal([otherVersion, stickyVersion], host.StuckVersions.OrderBy(static v => v.PluginName, StringComparer.Ordinal));

            host.WriteStatusNow();
            HostStatus status = Assert.Single(HostStatusReader.ReadLiveHosts(_root.PluginsRoot));
            Assert.Equal(
                [("other", otherReport.Cause), ("sticky", stickyReport.Cause)],
                status.Stuck.Select(static s => (s.Name, s.Cause!)).OrderBy(static s => s.Name, StringComparer.Ordinal));
        }
        finally
        {
            HostEvents.UnsubscribeAll();
        }
    }

    [Fact]
    public async Task Stuck_DiagnoserFails_EachVersionIsReportedWithTheFailure_AndTheNextOneIsAskedAgain()
    {
        var time = new ManualTimeProvider();
        var diagnoser = new FailingDiagnoser();
        PublishResult first = await _root.PublishAsync(Fixtures.Sticky, "first");
        PublishResult second = await _root.PublishAsync(Fixtures.Sticky, "second");
        await using PluginHost host = CreateHost(time, diagnoser);
        var observer = new HostObserver(host);
        try
        {
            (await host.LoadAsync()).EnsureSuccess();
            await RetireAsync(host, "first");

            // Thrown before it returns a task.
            UnloadStuckEventArgs firstReport = await time.AdvanceUntilAsync(observer.WhenStuck("first", first.Version), s_step);

            Assert.StartsWith($"The load context of first@{first.Version} is still alive ", firstReport.Cause, StringComparison.Ordinal);
            Assert.Contains(" The unload diagnoser (FailingDiagnoser) failed: InvalidOperationException: No dump today. To find the chain: hotswap diagnose ", firstReport.Cause);
            Assert.Equal([new PluginVersionInfo("first", first.Version)], host.StuckVersions);

            // A later version, after the first diagnosis ended: asked again. Its task faults with the diagnoser's own timeout, which is not the host's.
            await RetireAsync(host, "second");
            UnloadStuckEventArgs secondReport = await time.AdvanceUntilAsync(observer.WhenStuck("second", second.Version), s_step);

            Assert.Equal(2, diagnoser.Calls);
            Assert.Contains(" The unload diagnoser (FailingDiagnoser) failed: TimeoutException: The diagnostic port did not answer. To find the chain: hotswap diagnose ", secondReport.Cause);
        }
        finally
        {
            HostEvents.UnsubscribeAll();
        }
    }

    [Fact]
    public async Task Stuck_HostDisposedWhileTheDiagnosisRuns_TheDiagnosisIsCanceled_AndTheVersionIsReportedBeforeDisposeReturns()
    {
        var time = new ManualTimeProvider();
        var diagnoser = new GatedDiagnoser();
        PublishResult sticky = await _root.PublishAsync(Fixtures.Sticky, "sticky");
        PluginHost host = CreateHost(time, diagnoser);
        var observer = new HostObserver(host);
        try
        {
            (await host.LoadAsync()).EnsureSuccess();
            await RetireAsync(host, "sticky");
            await time.AdvanceUntilAsync(diagnoser.Called, s_step);

            await host.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(1)); // bounded: a disposal that waited for the diagnoser would hang here

            Assert.True(diagnoser.Token.IsCancellationRequested);
            UnloadStuckEventArgs report = Assert.Single(observer.Stuck, e => e.Version.PluginName == "sticky");
            Assert.Contains(" Not diagnosed: the host was stopping. To find the chain: hotswap diagnose ", report.Cause);
        }
        finally
        {
            HostEvents.UnsubscribeAll();
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Stuck_VersionCollectedWhileItWasDiagnosed_IsReportedUnloaded_NotStuck()
    {
        var time = new ManualTimeProvider();
        var diagnoser = new GatedDiagnoser();
        PublishResult sticky = await _root.PublishAsync(Fixtures.Sticky, "sticky");
        await using PluginHost host = CreateHost(time, diagnoser);
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        await RetireAsync(host, "sticky");
        await time.AdvanceUntilAsync(diagnoser.Called, s_step);

        // What held it lets go while the diagnoser works: the context goes.
        WeakReference context = Assert.Single(HostEvents.SubscriberContexts());
        HostEvents.UnsubscribeAll();
        for (int i = 0; i < 50 && context.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(context.IsAlive);
        Task<UnloadedEventArgs> unloaded = observer.WhenUnloaded("sticky", sticky.Version);
        diagnoser.Answer(new Dictionary<PluginVersionInfo, string>());
        await unloaded;

        Assert.Empty(observer.Stuck);
        Assert.Empty(host.StuckVersions);
    }

    [Fact]
    public async Task Stuck_DiagnoserNeverAnswers_TheVersionIsReportedAfterFiveMinutes_AndTheDiagnosisIsCanceled()
    {
        var time = new ManualTimeProvider();
        var diagnoser = new GatedDiagnoser();
        PublishResult sticky = await _root.PublishAsync(Fixtures.Sticky, "sticky");
        await using PluginHost host = CreateHost(time, diagnoser);
        var observer = new HostObserver(host);
        try
        {
            (await host.LoadAsync()).EnsureSuccess();
            await RetireAsync(host, "sticky");
            await time.AdvanceUntilAsync(diagnoser.Called, s_step);
            Task<UnloadStuckEventArgs> stuck = observer.WhenStuck("sticky", sticky.Version);

            // The host's wait is a timer on its clock: once it is set, just short of the bound nothing happens.
            await time.WaitForTimerAsync(dueWithin: TimeSpan.FromMinutes(5));
            time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
            Assert.False(stuck.IsCompleted);
            Assert.False(diagnoser.Token.IsCancellationRequested);
            time.Advance(TimeSpan.FromSeconds(1));
            UnloadStuckEventArgs report = await stuck.WaitAsync(TimeSpan.FromMinutes(1));

            Assert.Contains("release them in OnFreeAsync. The unload diagnoser (GatedDiagnoser) did not answer within 5 minutes. To find the chain: hotswap diagnose ", report.Cause);
            Assert.True(diagnoser.Token.IsCancellationRequested);
        }
        finally
        {
            HostEvents.UnsubscribeAll();
        }
    }

    private PluginHost CreateHost(ManualTimeProvider time, IUnloadDiagnoser diagnoser) => _root.CreateHost(o =>
    {
        o.TimeProvider = time;
        o.UnloadTimeout = TimeSpan.FromSeconds(5);
        o.UnloadDiagnoser = diagnoser;
    });

    /// <summary>Removes these plugins and reloads: their versions retire and, pinned, will be found stuck.</summary>
    private async Task RetireAsync(PluginHost host, params string[] plugins)
    {
        foreach (string plugin in plugins)
        {
            Directory.Delete(_root.PluginDirectory(plugin), recursive: true);
        }

        (await host.ReloadAsync()).EnsureSuccess();
    }

    /// <summary>Records each question and answers once the test says so.</summary>
    private sealed class GatedDiagnoser : IUnloadDiagnoser
    {
        private readonly TaskCompletionSource<IReadOnlyList<PluginVersionInfo>> _called = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<IReadOnlyDictionary<PluginVersionInfo, string>> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<IReadOnlyList<PluginVersionInfo>> _calls = [];

        public Task<IReadOnlyList<PluginVersionInfo>> Called => _called.Task;

        public IReadOnlyList<IReadOnlyList<PluginVersionInfo>> Calls
        {
            get
            {
                lock (_calls)
                {
                    return [.. _calls];
                }
            }
        }

        public CancellationToken Token { get; private set; }

        public void Answer(IReadOnlyDictionary<PluginVersionInfo, string> findings) => _answer.TrySetResult(findings);

        public Task<IReadOnlyDictionary<PluginVersionInfo, string>> DiagnoseAsync(UnloadDiagnosisArguments arguments, CancellationToken cancellationToken)
        {
            lock (_calls)
            {
                _calls.Add([.. arguments.Versions]);
            }

            Token = cancellationToken;
            _called.TrySetResult([.. arguments.Versions]);
            return _answer.Task;
        }
    }

    /// <summary>Throws at its first call; at the second, returns a task faulted with a timeout of its own.</summary>
    private sealed class FailingDiagnoser : IUnloadDiagnoser
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task<IReadOnlyDictionary<PluginVersionInfo, string>> DiagnoseAsync(UnloadDiagnosisArguments arguments, CancellationToken cancellationToken)
            => Interlocked.Increment(ref _calls) == 1
                ? throw new InvalidOperationException("No dump today.")
                : Task.FromException<IReadOnlyDictionary<PluginVersionInfo, string>>(new TimeoutException("The diagnostic port did not answer."));
    }
}
