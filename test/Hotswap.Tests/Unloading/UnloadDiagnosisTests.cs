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
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.UnloadTimeout = TimeSpan.FromSeconds(5);
            o.UnloadDiagnoser = diagnoser;
        });
        var observer = new HostObserver(host);
        try
        {
            (await host.LoadAsync()).EnsureSuccess();
            Directory.Delete(_root.PluginDirectory("sticky"), recursive: true);
            Directory.Delete(_root.PluginDirectory("other"), recursive: true);
            (await host.ReloadAsync()).EnsureSuccess();

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
            Assert.EndsWith("release them in OnFreeAsync. The unload diagnoser (GatedDiagnoser) named nothing for it.", otherReport.Cause, StringComparison.Ordinal);
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
    public async Task Stuck_DiagnoserThrows_TheVersionIsReportedWithTheFailure()
    {
        var time = new ManualTimeProvider();
        PublishResult sticky = await _root.PublishAsync(Fixtures.Sticky, "sticky");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.UnloadTimeout = TimeSpan.FromSeconds(5);
            o.UnloadDiagnoser = new ThrowingDiagnoser();
        });
        var observer = new HostObserver(host);
        try
        {
            (await host.LoadAsync()).EnsureSuccess();
            Directory.Delete(_root.PluginDirectory("sticky"), recursive: true);
            (await host.ReloadAsync()).EnsureSuccess();

            UnloadStuckEventArgs report = await time.AdvanceUntilAsync(observer.WhenStuck("sticky", sticky.Version), s_step);

            Assert.StartsWith($"The load context of sticky@{sticky.Version} is still alive ", report.Cause, StringComparison.Ordinal);
            Assert.EndsWith(" The unload diagnoser (ThrowingDiagnoser) failed: InvalidOperationException: No dump today.", report.Cause, StringComparison.Ordinal);
            Assert.Equal([new PluginVersionInfo("sticky", sticky.Version)], host.StuckVersions);
        }
        finally
        {
            HostEvents.UnsubscribeAll();
        }
    }

    [Fact]
    public async Task Stuck_DiagnoserNeverAnswers_TheVersionIsReportedAfterFiveMinutes_AndTheDiagnosisIsCanceled()
    {
        var time = new ManualTimeProvider();
        var diagnoser = new GatedDiagnoser();
        PublishResult sticky = await _root.PublishAsync(Fixtures.Sticky, "sticky");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.UnloadTimeout = TimeSpan.FromSeconds(5);
            o.UnloadDiagnoser = diagnoser;
        });
        var observer = new HostObserver(host);
        try
        {
            (await host.LoadAsync()).EnsureSuccess();
            Directory.Delete(_root.PluginDirectory("sticky"), recursive: true);
            (await host.ReloadAsync()).EnsureSuccess();
            await time.AdvanceUntilAsync(diagnoser.Called, s_step);
            Task<UnloadStuckEventArgs> stuck = observer.WhenStuck("sticky", sticky.Version);

            // The host's wait is a timer on its clock: once it is set, just short of the bound nothing happens.
            await time.WaitForTimerAsync(dueWithin: TimeSpan.FromMinutes(5));
            time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
            Assert.False(stuck.IsCompleted);
            Assert.False(diagnoser.Token.IsCancellationRequested);
            time.Advance(TimeSpan.FromSeconds(1));
            UnloadStuckEventArgs report = await stuck;

            Assert.EndsWith(" The unload diagnoser (GatedDiagnoser) did not answer within 5 minutes.", report.Cause, StringComparison.Ordinal);
            Assert.True(diagnoser.Token.IsCancellationRequested);
        }
        finally
        {
            HostEvents.UnsubscribeAll();
        }
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

        public Task<IReadOnlyDictionary<PluginVersionInfo, string>> DiagnoseAsync(IReadOnlyList<PluginVersionInfo> versions, CancellationToken cancellationToken)
        {
            lock (_calls)
            {
                _calls.Add([.. versions]);
            }

            Token = cancellationToken;
            _called.TrySetResult([.. versions]);
            return _answer.Task;
        }
    }

    private sealed class ThrowingDiagnoser : IUnloadDiagnoser
    {
        public Task<IReadOnlyDictionary<PluginVersionInfo, string>> DiagnoseAsync(IReadOnlyList<PluginVersionInfo> versions, CancellationToken cancellationToken)
            => throw new InvalidOperationException("No dump today.");
    }
}
