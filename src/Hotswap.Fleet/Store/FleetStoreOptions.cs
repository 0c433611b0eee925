using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hotswap;

/// <summary>How a <see cref="FleetStore"/> reaches etcd; copied into the store when it is built.</summary>
internal sealed class FleetStoreOptions
{
    /// <summary>The etcd client URLs, comma-separated.</summary>
    /// <value>For example <c>http://127.0.0.1:12379,http://127.0.0.1:22379</c>; required.</value>
    public required string Endpoints { get; init; }

    /// <summary>The deadline of each call to etcd (one attempt; calls are retried until the caller's token is cancelled).</summary>
    /// <value>5 seconds.</value>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The TTL of the store's session lease, which leased keys are bound to.</summary>
    /// <value>10 seconds; at least 2 seconds (etcd's minimum), rounded up to whole seconds.</value>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The first delay before a retry; it doubles on every failure in a row.</summary>
    /// <value>100 milliseconds.</value>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest delay between retries.</summary>
    /// <value>5 seconds.</value>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock of deadlines, backoff and keep-alive.</summary>
    /// <value><see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the store logs outages, retries and lease renewals.</summary>
    /// <value><see cref="NullLogger.Instance"/>.</value>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Checks every option and reports every error at once.</summary>
    /// <exception cref="ArgumentException">One or more options are invalid; the message lists each.</exception>
    internal void Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Endpoints))
        {
            errors.Add("Endpoints is empty: give the etcd client URLs, comma-separated (http://host:port,...).");
        }
        else
        {
            foreach (string endpoint in Endpoints.Split(',', StringSplitOptions.TrimEntries))
            {
                if (!Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    errors.Add($"Endpoints holds '{endpoint}', which is not an http:// or https:// URL.");
                }
            }
        }

        if (CallTimeout <= TimeSpan.Zero)
        {
            errors.Add($"CallTimeout is {CallTimeout}; it must be positive.");
        }

        if (LeaseTtl < TimeSpan.FromSeconds(2))
        {
            errors.Add($"LeaseTtl is {LeaseTtl}; etcd's minimum is 2 seconds.");
        }

        if (MinBackoff <= TimeSpan.Zero)
        {
            errors.Add($"MinBackoff is {MinBackoff}; it must be positive.");
        }

        if (MaxBackoff < MinBackoff)
        {
            errors.Add($"MaxBackoff ({MaxBackoff}) is shorter than MinBackoff ({MinBackoff}).");
        }

        if (TimeProvider is null)
        {
            errors.Add("TimeProvider is null; leave it unset for the system clock.");
        }

        if (Logger is null)
        {
            errors.Add("Logger is null; leave it unset for no logging.");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("The fleet store's options are invalid: " + string.Join(" ", errors), "options");
        }
    }
}
