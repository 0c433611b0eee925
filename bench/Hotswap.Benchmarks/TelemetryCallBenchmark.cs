using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Hotswap.Benchmarks.Contracts;

namespace Hotswap.Benchmarks;

/// <summary>
/// A call through the generated proxy with nothing listening to Hotswap's telemetry, and with a
/// <see cref="MeterListener"/> on every instrument of the <c>Hotswap</c> meter and an
/// <see cref="ActivityListener"/> on the <c>Hotswap</c> source: the call path records nothing, so
/// the two must not differ.
/// </summary>
[MaxWarmupCount(10)]
[MaxIterationCount(30)]
public class TelemetryCallBenchmark
{
    private LoadedCalculator? _calculator;
    private ICalculator _proxy = null!;
    private MeterListener? _meters;
    private ActivityListener? _activities;

    /// <summary>Gets or sets a value indicating whether a meter listener and an activity listener are attached.</summary>
    [Params(false, true)]
    public bool Listening { get; set; }

    /// <summary>Loads the plugin; attaches the listeners when <see cref="Listening"/>.</summary>
    [GlobalSetup]
    public void Setup()
    {
        if (Listening)
        {
            _meters = new MeterListener
            {
                InstrumentPublished = static (instrument, listener) =>
                {
                    if (instrument.Meter.Name == "Hotswap")
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            _meters.SetMeasurementEventCallback<long>(static (_, _, _, _) => { });
            _meters.SetMeasurementEventCallback<double>(static (_, _, _, _) => { });
            _meters.Start();
            _activities = new ActivityListener
            {
                ShouldListenTo = static source => source.Name == "Hotswap",
                Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            };
            ActivitySource.AddActivityListener(_activities);
        }

        _calculator = new LoadedCalculator();
        _proxy = _calculator.Proxy;
    }

    /// <summary>Detaches the listeners, stops the host and deletes the plugins root.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _calculator?.Dispose();
        _meters?.Dispose();
        _activities?.Dispose();
    }

    /// <summary>A call through the generated proxy.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(OperationsPerInvoke = CallBenchmark.Calls)]
    public int Proxy()
    {
        ICalculator calculator = _proxy;
        int sum = 0;
        for (int i = 0; i < CallBenchmark.Calls; i++)
        {
            sum += calculator.Add(i, 1);
        }

        return sum;
    }
}
