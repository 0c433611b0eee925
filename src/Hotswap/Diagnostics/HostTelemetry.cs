using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Hotswap;

/// <summary>
/// One host's metrics and traces: the <c>Hotswap</c> meter (from the host's
/// <see cref="IMeterFactory"/>, or a process-wide one) and the <c>Hotswap</c> activity source.
/// </summary>
/// <remarks>
/// Nothing here is on the call path: calls in flight are observed (counted when a listener
/// collects), not counted per call. Every recording checks that its instrument or source has a
/// listener first, so a host nobody listens to pays one branch per reload.
/// </remarks>
internal sealed class HostTelemetry : IDisposable
{
    /// <summary>The activity source, named <c>Hotswap</c>.</summary>
    public static readonly ActivitySource Source = new(TelemetryConstants.Name, Version);

    private readonly Instruments _instruments;
    private readonly Func<Observation> _observe;
    private long _liveContexts;

    /// <param name="meterFactory">The host's meter factory, or <see langword="null"/> for the process-wide meter.</param>
    /// <param name="observe">Reads the host's state for the observable instruments; called when a listener collects.</param>
    public HostTelemetry(IMeterFactory? meterFactory, Func<Observation> observe)
    {
        _observe = observe;
        _instruments = Instruments.For(meterFactory);
        _instruments.Register(this);
    }

    private static string? Version => typeof(HostTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    /// <summary>Starts the activity of one reload; <see langword="null"/> when nobody listens.</summary>
    /// <param name="servingGeneration">The generation serving when the reload started.</param>
    /// <returns>The activity, or <see langword="null"/>.</returns>
    public static Activity? StartReload(long servingGeneration)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        Activity? activity = Source.StartActivity(TelemetryConstants.ReloadActivity, ActivityKind.Internal);
        activity?.SetTag(TelemetryConstants.PreviousGenerationTag, servingGeneration);
        return activity;
    }

    /// <summary>Starts the child activity of one phase of the reload running on this flow.</summary>
    /// <param name="phase">The phase: discover, verify, load, link, initialize, switch.</param>
    /// <returns>The activity, or <see langword="null"/>.</returns>
    public static Activity? StartPhase(string phase)
        => Activity.Current is { OperationName: TelemetryConstants.ReloadActivity } ? Source.StartActivity(TelemetryConstants.PhaseActivityPrefix + phase, ActivityKind.Internal) : null;

    /// <summary>Marks an activity failed with the reload's error.</summary>
    /// <param name="activity">The activity, or <see langword="null"/>.</param>
    /// <param name="error">The error.</param>
    public static void Fail(Activity? activity, Exception error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, error.Message);
        activity.SetTag(TelemetryConstants.ErrorTypeTag, error.GetType().FullName);
        activity.AddException(error);
    }

    /// <summary>Ends a reload: its activity's tags and events, the reload counter and the duration histogram.</summary>
    /// <param name="activity">The reload's activity, or <see langword="null"/>.</param>
    /// <param name="result">The reload's result.</param>
    public void RecordReload(Activity? activity, ReloadResult result)
    {
        string outcome = !result.Succeeded ? TelemetryConstants.Failed : result.RolledBack ? TelemetryConstants.RolledBack : result.Published ? TelemetryConstants.Published : TelemetryConstants.Unchanged;
        if (activity is not null)
        {
            activity.SetTag(TelemetryConstants.OutcomeTag, outcome);
            activity.SetTag(TelemetryConstants.GenerationTag, result.Generation);
            foreach (PluginOutcome plugin in result.Plugins)
            {
                activity.AddEvent(new ActivityEvent(TelemetryConstants.PluginEvent, tags: new ActivityTagsCollection
                {
                    [TelemetryConstants.PluginTag] = plugin.PluginName,
                    [TelemetryConstants.VersionTag] = plugin.Version,
                    [TelemetryConstants.PreviousVersionTag] = plugin.PreviousVersion,
                    [TelemetryConstants.PluginOutcomeTag] = plugin.Outcome.ToString(),
                }));
            }

            if (result.Error is { } error)
            {
                activity.SetTag(TelemetryConstants.PhaseTag, error.Phase.ToString());
                activity.SetTag(TelemetryConstants.PluginTag, error.PluginName);
                Fail(activity, error);
            }
        }

        if (_instruments.Reloads.Enabled || _instruments.ReloadDuration.Enabled)
        {
            var tags = new TagList { { TelemetryConstants.OutcomeTag, outcome } };
            if (result.Error is { } error)
            {
                tags.Add(TelemetryConstants.PhaseTag, error.Phase.ToString());
            }

            _instruments.Reloads.Add(1, tags);
            _instruments.ReloadDuration.Record(result.Duration.TotalSeconds, tags);
        }
    }

    /// <summary>Starts the activity of one version's unload, from <c>OnFreeAsync</c> to its proof; not the ambient activity of the caller.</summary>
    /// <param name="version">The version.</param>
    /// <returns>The activity, or <see langword="null"/>.</returns>
    public static Activity? StartUnload(PluginVersionInfo version)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        // A root: it ends long after this flow moved on (a rollback runs inside the reload's activity),
        // so it neither takes the ambient activity as its parent nor stays the ambient one.
        Activity? previous = Activity.Current;
        Activity.Current = null;
        try
        {
            Activity? activity = Source.StartActivity(TelemetryConstants.UnloadActivity, ActivityKind.Internal);
            activity?.SetTag(TelemetryConstants.PluginTag, version.PluginName);
            activity?.SetTag(TelemetryConstants.VersionTag, version.Version);
            return activity;
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    /// <summary>Ends a version's unload: its activity and the unload duration histogram.</summary>
    /// <param name="activity">The unload's activity, or <see langword="null"/>.</param>
    /// <param name="version">The version.</param>
    /// <param name="elapsed">From <c>Unload()</c> to the proof or the stuck report.</param>
    /// <param name="collected">Whether it was proven collected (otherwise reported stuck).</param>
    /// <param name="cause">The stuck report's cause.</param>
    public void RecordUnload(Activity? activity, PluginVersionInfo version, TimeSpan elapsed, bool collected, string? cause)
    {
        string outcome = collected ? TelemetryConstants.Collected : TelemetryConstants.Stuck;
        if (collected)
        {
            Interlocked.Decrement(ref _liveContexts);
        }

        if (activity is not null)
        {
            activity.SetTag(TelemetryConstants.UnloadOutcomeTag, outcome);
            if (!collected)
            {
                activity.SetStatus(ActivityStatusCode.Error, cause);
            }

            activity.Stop();
        }

        if (_instruments.UnloadDuration.Enabled)
        {
            _instruments.UnloadDuration.Record(elapsed.TotalSeconds, new TagList { { TelemetryConstants.PluginTag, version.PluginName }, { TelemetryConstants.UnloadOutcomeTag, outcome } });
        }
    }

    /// <summary>Counts a plugin load context created (it is live until proven collected).</summary>
    public void ContextCreated() => Interlocked.Increment(ref _liveContexts);

    public void Dispose() => _instruments.Unregister(this);

    private Observation Observe() => _observe() with { LiveContexts = Volatile.Read(ref _liveContexts) };

    /// <summary>What the observable instruments report of one host at one moment.</summary>
    internal readonly record struct Observation(long ServingCalls, long DrainingCalls, int Retiring, int Stuck, long LiveContexts);

    /// <summary>The instruments of one meter, created once per meter, observing every host registered with them.</summary>
    private sealed class Instruments
    {
        private static readonly ConditionalWeakTable<Meter, Instruments> s_byMeter = [];
        private static readonly Lazy<Meter> s_processMeter = new(static () => new Meter(TelemetryConstants.Name, Version));
        private readonly Lock _gate = new();
        private readonly List<WeakReference<HostTelemetry>> _hosts = [];

        private Instruments(Meter meter)
        {
            Reloads = meter.CreateCounter<long>(TelemetryConstants.Reloads, "{reload}", "Reloads, by outcome (published, unchanged, failed) and, for a failure, phase.");
            ReloadDuration = meter.CreateHistogram<double>(TelemetryConstants.ReloadDuration, "s", "How long a reload took, from the request to the switch (or the rollback).");
            UnloadDuration = meter.CreateHistogram<double>(TelemetryConstants.UnloadDuration, "s", "From a retired version's Unload() to the proof that its load context was collected (or its stuck report).");
            meter.CreateObservableUpDownCounter(TelemetryConstants.CallsInFlight, () => Observe(static o => new[]
            {
                new Measurement<long>(o.ServingCalls, new KeyValuePair<string, object?>(TelemetryConstants.GenerationStateTag, TelemetryConstants.Serving)),
                new Measurement<long>(o.DrainingCalls, new KeyValuePair<string, object?>(TelemetryConstants.GenerationStateTag, TelemetryConstants.Draining)),
            }), "{call}", "Calls (leases) in flight, on the serving generation and on retired ones still draining.");
            meter.CreateObservableUpDownCounter(TelemetryConstants.RetiringVersions, () => Observe(static o => new[] { new Measurement<long>(o.Retiring) }), "{version}", "Retired versions still draining or waiting to be proven unloaded.");
            meter.CreateObservableUpDownCounter(TelemetryConstants.StuckVersions, () => Observe(static o => new[] { new Measurement<long>(o.Stuck) }), "{version}", "Retired versions reported stuck and still alive.");
            meter.CreateObservableUpDownCounter(TelemetryConstants.LoadContexts, () => Observe(static o => new[] { new Measurement<long>(o.LiveContexts) }), "{context}", "Plugin load contexts created and not yet proven collected.");
        }

        public Counter<long> Reloads { get; }

        public Histogram<double> ReloadDuration { get; }

        public Histogram<double> UnloadDuration { get; }

        public static Instruments For(IMeterFactory? factory)
            => s_byMeter.GetValue(factory?.Create(new MeterOptions(TelemetryConstants.Name) { Version = Version }) ?? s_processMeter.Value, static m => new Instruments(m));

        public void Register(HostTelemetry host)
        {
            lock (_gate)
            {
                _hosts.RemoveAll(static w => !w.TryGetTarget(out _));
                _hosts.Add(new WeakReference<HostTelemetry>(host));
            }
        }

        public void Unregister(HostTelemetry host)
        {
            lock (_gate)
            {
                _hosts.RemoveAll(w => !w.TryGetTarget(out HostTelemetry? h) || h == host);
            }
        }

        /// <summary>Each host's measurements, summed per tag set across hosts (a process usually has one host); none once every host is gone.</summary>
        private Measurement<long>[] Observe(Func<Observation, Measurement<long>[]> measure)
        {
            HostTelemetry[] hosts;
            lock (_gate)
            {
                hosts = [.. _hosts.Select(static w => w.TryGetTarget(out HostTelemetry? h) ? h : null).OfType<HostTelemetry>()];
            }

            Measurement<long>[]? sums = null;
            foreach (HostTelemetry host in hosts)
            {
                Measurement<long>[] measured = measure(host.Observe());
                if (sums is null)
                {
                    sums = measured;
                    continue;
                }

                for (int i = 0; i < sums.Length; i++)
                {
                    sums[i] = new Measurement<long>(sums[i].Value + measured[i].Value, measured[i].Tags);
                }
            }

            return sums ?? [];
        }
    }
}
