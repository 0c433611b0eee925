namespace Hotswap.Tests.Support;

/// <summary>Threads calling until stopped, keeping each distinct answer, the number of calls and every failure.</summary>
internal sealed class CallLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _answers = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentQueue<Exception> _errors = new();
    private readonly Task[] _threads;
    private int _failures;
    private long _calls;

    private CallLoop(Func<string> call, int threads)
    {
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _threads = [.. Enumerable.Range(0, threads).Select(_ => Task.Factory.StartNew(
            () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        _answers.TryAdd(call(), 0);
                        Interlocked.Increment(ref _calls);
                    }
#pragma warning disable CA1031 // The loop counts every failure, whatever it is.
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        if (Interlocked.Increment(ref _failures) <= 10)
                        {
                            _errors.Enqueue(ex);
                        }
                    }

                    first.TrySetResult();
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default))];
        Started = first.Task;
    }

    /// <summary>Gets a task that completes once a first call ended.</summary>
    public Task Started { get; }

    /// <summary>Gets the number of calls that threw.</summary>
    public int Failures => Volatile.Read(ref _failures);

    /// <summary>Gets the first failures, for an assertion's message.</summary>
    public string FirstErrors => string.Join(Environment.NewLine, _errors);

    /// <summary>Gets the number of calls that returned.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Gets each distinct answer, ordered.</summary>
    public IReadOnlyList<string> Answers => [.. _answers.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Starts <paramref name="threads"/> threads calling <paramref name="call"/> until stopped.</summary>
    public static CallLoop Start(Func<string> call, int threads = 2) => new(call, threads);

    /// <summary>Waits for a first call, then stops every thread.</summary>
    public async Task StopAsync()
    {
        await Started;
        await _stop.CancelAsync();
        await Task.WhenAll(_threads);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_threads);
        _stop.Dispose();
    }
}
