using System.Diagnostics;
using System.Diagnostics.Metrics;
using Hotswap.Tests.Support;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Hotswap.Tests.Diagnostics;

/// <summary>The Hotswap meter and activity source, as an OpenTelemetry exporter would see them.</summary>
public sealed class TelemetryTests : IDisposable
{
    private readonly TestRoot _root = new();
    private readonly TestMeterFactory _meters = new();

    public void Dispose()
    {
        _meters.Dispose();
        _root.Dispose();
    }

    [Fact]
    public async Task Rollback_IsCountedWithTheOutcomeRolledBack()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.MeterFactory = _meters;
            o.Probation = TimeSpan.FromHours(1);
        });
        using var reloads = new MetricCollector<long>(Assert.Single(_meters.Meters), "hotswap.reloads");
        (await host.LoadAsync()).EnsureSuccess();
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();

        (await host.RollbackAsync()).EnsureSuccess();

        Assert.Equal(["published", "published", "rolled_back"], reloads.GetMeasurementSnapshot().Select(static m => (string)m.Tags["hotswap.reload.outcome"]!));
    }

    [Fact]
    public async Task Reload_SucceededAndFailed_CountedAndTimedByOutcomeAndPhase()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o => o.MeterFactory = _meters);
        Meter meter = Assert.Single(_meters.Meters);
        using var reloads = new MetricCollector<long>(meter, "hotswap.reloads");
        using var durations = new MetricCollector<double>(meter, "hotswap.reload.duration");

        (await host.LoadAsync()).EnsureSuccess();
        (await host.ReloadAsync()).EnsureSuccess(); // nothing changed
        _root.Probe.Set("alpha.throwIn", "OnInit");
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        Assert.False((await host.ReloadAsync()).Succeeded);

        Assert.Equal(["published", "unchanged", "failed"], reloads.GetMeasurementSnapshot().Select(static m => (string)m.Tags["hotswap.reload.outcome"]!));
        Assert.All(reloads.GetMeasurementSnapshot(), static m => Assert.Equal(1, m.Value));
        Assert.Equal("OnInit", reloads.LastMeasurement!.Tags["hotswap.reload.phase"]);
        Assert.False(reloads.GetMeasurementSnapshot()[0].Tags.ContainsKey("hotswap.reload.phase"));
        Assert.Equal(3, durations.GetMeasurementSnapshot().Count);
        Assert.All(durations.GetMeasurementSnapshot(), static m => Assert.InRange(m.Value, 0, 600));
        Assert.Equal("s", durations.Instrument!.Unit);
    }

    [Fact]
    public async Task Observables_CallInFlightAndARetiredVersion_ReportServingDrainingRetiringAndContexts()
    {
        var time = new ManualTimeProvider();
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.MeterFactory = _meters;
            o.TimeProvider = time;
            o.WriteStatus = false;
        });
        var observer = new HostObserver(host);
        Meter meter = Assert.Single(_meters.Meters);
        using var calls = new MetricCollector<long>(meter, "hotswap.calls.in_flight");
        using var retiring = new MetricCollector<long>(meter, "hotswap.versions.retiring");
        using var contexts = new MetricCollector<long>(meter, "hotswap.load_contexts");
        (await host.LoadAsync()).EnsureSuccess();
        TestContracts.ProbeGate gate = _root.Probe.Gate("held");
        Task<object?> held = Task.Run(() => host.Invoke("alpha", "block", "held"));
        await gate.Entered;

        calls.RecordObservableInstruments();
        Assert.Equal(1, Measured(calls, "serving"));
        Assert.Equal(0, Measured(calls, "draining"));

        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();
        calls.RecordObservableInstruments();
        retiring.RecordObservableInstruments();
        contexts.RecordObservableInstruments();
        Assert.Equal(0, Measured(calls, "serving"));
        Assert.Equal(1, Measured(calls, "draining"));
        Assert.Equal(1, retiring.LastMeasurement!.Value);
        Assert.Equal(2, contexts.LastMeasurement!.Value);

        gate.Release();
        Assert.Equal("v1:unblocked", await held);
        await time.AdvanceUntilAsync(observer.WhenUnloaded("alpha", v1.Version), TimeSpan.FromMilliseconds(50));
        retiring.RecordObservableInstruments();
        contexts.RecordObservableInstruments();
        Assert.Equal(0, retiring.LastMeasurement!.Value);
        Assert.Equal(1, contexts.LastMeasurement!.Value);
    }

    [Fact]
    public async Task Activities_ReloadThatFails_OneActivityWithItsPhasesAndTheErrorOnTheFailedOne()
    {
        string name = "traced" + Guid.NewGuid().ToString("N")[..8];
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == "Hotswap",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (stopped)
                {
                    stopped.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await _root.PublishAsync(Fixtures.GreeterV1, name);
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        _root.Probe.Set(name + ".throwIn", "OnLoad");
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, name);
        Assert.False((await host.ReloadAsync()).Succeeded);

        Activity[] mine;
        lock (stopped)
        {
            mine = [.. stopped.Where(a => a.OperationName == "hotswap.reload" && a.Events.Any(e => Equals(e.Tags.FirstOrDefault(t => t.Key == "hotswap.plugin.name").Value, name)))];
        }

        Assert.Equal(2, mine.Length);
        Activity published = mine[0];
        Activity failed = mine[1];
        Assert.Equal("published", published.GetTagItem("hotswap.reload.outcome"));
        Assert.Equal(1L, published.GetTagItem("hotswap.generation"));
        Assert.Equal(["discover", "verify", "load", "link", "initialize", "switch"], Children(stopped, published));

        Assert.Equal("failed", failed.GetTagItem("hotswap.reload.outcome"));
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Equal("OnLoad", failed.GetTagItem("hotswap.reload.phase"));
        Assert.Equal(["discover", "verify", "load", "link", "initialize"], Children(stopped, failed));
        Activity initialize = ChildActivities(stopped, failed).Single(static a => a.OperationName == "hotswap.reload.initialize");
        Assert.Equal(ActivityStatusCode.Error, initialize.Status);
        Assert.Contains("throws in OnLoad on purpose", initialize.StatusDescription, StringComparison.Ordinal);
        ActivityEvent plugin = Assert.Single(failed.Events, static e => e.Name == "hotswap.plugin");
        Assert.Equal("Failed", plugin.Tags.Single(static t => t.Key == "hotswap.plugin.outcome").Value);
        Assert.Contains(failed.Events, static e => e.Name == "exception");
        Assert.NotEqual(v2.Manifest.Version, plugin.Tags.Single(static t => t.Key == "hotswap.plugin.version").Value);

        // The rolled-back version's unload (run inside the failed reload) is a root of its own, never a child of the reload.
        Assert.DoesNotContain(ChildActivities(stopped, failed), static a => a.OperationName == "hotswap.unload");
    }

    [Fact]
    public void StartUnload_InsideAReloadActivity_IsARootAndLeavesTheAmbientActivityAlone()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == "Hotswap",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using Activity reload = HostTelemetry.StartReload(1)!;

        using Activity unload = HostTelemetry.StartUnload(new PluginVersionInfo("alpha", "v1"))!;

        Assert.Null(unload.Parent);
        Assert.Equal(default, unload.ParentSpanId);
        Assert.Same(reload, Activity.Current);
    }

    private static long Measured(MetricCollector<long> collector, string state)
        => collector.GetMeasurementSnapshot().Last(m => (string?)m.Tags["hotswap.generation.state"] == state).Value;

    private static Activity[] ChildActivities(List<Activity> stopped, Activity parent)
    {
        lock (stopped)
        {
            return [.. stopped.Where(a => a.ParentSpanId == parent.SpanId && a.TraceId == parent.TraceId)];
        }
    }

    private static string[] Children(List<Activity> stopped, Activity parent)
        => [.. ChildActivities(stopped, parent).OrderBy(static a => a.StartTimeUtc).Select(static a => a.OperationName.StartsWith("hotswap.reload.", StringComparison.Ordinal) ? a.OperationName["hotswap.reload.".Length..] : a.OperationName)];

    /// <summary>A meter factory of the test's own, so the instruments read are this test's host's only.</summary>
    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public IReadOnlyList<Meter> Meters => _meters;

        public Meter Create(MeterOptions options)
        {
            lock (_meters)
            {
                Meter? existing = _meters.Find(m => m.Name == options.Name);
                if (existing is not null)
                {
                    return existing;
                }

                var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
                _meters.Add(meter);
                return meter;
            }
        }

        public void Dispose()
        {
            lock (_meters)
            {
                _meters.ForEach(static m => m.Dispose());
            }
        }
    }
}
