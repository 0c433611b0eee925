using System.Net.Http;
using Grpc.Core;

namespace Hotswap;

/// <summary>The store's calls: one deadline per attempt, retries with backoff, and what counts as an outage.</summary>
internal sealed partial class FleetStore
{
    /// <summary>One attempt of a call: its deadline, its token, and whether an earlier attempt's outcome is unknown.</summary>
    private readonly record struct Attempt(DateTime Deadline, CancellationToken Token, bool EarlierUncertain);

    /// <summary>Runs a call until it succeeds; see the type's remarks for the retries.</summary>
    /// <exception cref="OperationCanceledException">The caller's token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed during the call.</exception>
    private async Task<T> CallAsync<T>(string operation, string key, Func<Attempt, Task<T>> call, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        try
        {
            return await RetryAsync(operation, key, call, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested && e.CancellationToken != cancellationToken)
        {
            // Name the caller's token, not the linked one, so a caller's "when (token.IsCancellationRequested)" and
            // e.CancellationToken checks hold.
            throw new OperationCanceledException(e.Message, e.InnerException ?? e, cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _disposing.IsCancellationRequested)
        {
            throw new ObjectDisposedException(nameof(FleetStore), $"The fleet store was disposed during {operation} of '{key}'.");
        }
    }

    /// <summary>The retry loop under one token; throws <see cref="OperationCanceledException"/> when it is cancelled.</summary>
    private async Task<T> RetryAsync<T>(string operation, string key, Func<Attempt, Task<T>> call, CancellationToken token)
    {
        bool uncertain = false;
        for (int failures = 0; ; failures++)
        {
            token.ThrowIfCancellationRequested();
            var attempt = new Attempt(_timeProvider.GetUtcNow().UtcDateTime + _callTimeout, token, uncertain);
            string status;
            try
            {
                T result = await call(attempt).ConfigureAwait(false);
                MarkReachable();
                return result;
            }
            catch (Exception e) when (IsOutage(e, token))
            {
                // A deadline, a reset stream or "leader changed": the request may or may not have been applied.
                uncertain = true;
                status = Describe(e);
            }
            catch (Exception e) when (token.IsCancellationRequested && e is RpcException or OperationCanceledException)
            {
                throw new OperationCanceledException($"{operation} of '{key}' was cancelled.", e, token);
            }

            MarkUnreachable();
            TimeSpan delay = Backoff(failures);
            FleetStoreLog.CallRetrying(_logger, operation, key, status, delay.TotalMilliseconds);
            await Task.Delay(delay, _timeProvider, token).ConfigureAwait(false);
        }
    }

    /// <summary>Whether a failure is an outage (retried) rather than a refusal: only while the token is not cancelled.</summary>
    private static bool IsOutage(Exception e, CancellationToken token)
    {
        if (token.IsCancellationRequested)
        {
            return false;
        }

        return e switch
        {
            RpcException rpc => rpc.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled
                or StatusCode.Aborted or StatusCode.Internal or StatusCode.Unknown or StatusCode.ResourceExhausted,
            // The client's own deadline surfaces as TaskCanceledException too.
            OperationCanceledException => true,
            IOException or HttpRequestException => true,
            _ => false,
        };
    }

    private static string Describe(Exception e) => e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : $"{e.GetType().Name}: {e.Message}";

    /// <summary>MinBackoff doubling to MaxBackoff, each delay drawn from its upper half (jitter, so retries spread).</summary>
    private TimeSpan Backoff(int failures)
    {
        double ceiling = Math.Min(_maxBackoff.TotalMilliseconds, _minBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 30)));
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }

    private void MarkReachable()
    {
        if (!_reachable)
        {
            _reachable = true;
            FleetStoreLog.Reachable(_logger);
        }
    }

    private void MarkUnreachable() => _reachable = false;
}
