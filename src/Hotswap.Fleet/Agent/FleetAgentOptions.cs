using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hotswap;

/// <summary>How a <see cref="FleetAgent"/> reaches its fleet (docs/fleet.md).</summary>
public sealed class FleetAgentOptions
{
    /// <summary>Gets or sets the etcd client URLs, comma-separated (for example <c>http://10.0.0.1:2379,http://10.0.0.2:2379</c>).</summary>
    public string Endpoints { get; set; } = "";

    /// <summary>Gets or sets the fleet's name: every key of the fleet lives under <c>/hotswap/fleets/{Fleet}/</c>.</summary>
    public string Fleet { get; set; } = "";

    /// <summary>Gets or sets this host's id in the fleet; by default the machine's name and a hash of the host's plugins root, the same across restarts.</summary>
    public string? HostId { get; set; }

    /// <summary>Gets the host's labels (zone, cohort, ...), shown in the fleet's status and usable by waves.</summary>
    public IDictionary<string, string> Labels { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets or sets the time to live of the host's registration: a host unheard of that long is shown gone (minimum 2 seconds).</summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets the deadline of each call to the store.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the deadline of one artifact's download.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the client for <c>http(s)://</c> artifacts; by default one the agent owns.</summary>
    public HttpClient? HttpClient { get; set; }

    /// <summary>
    /// Gets or sets the host's health check, which the agent runs every <see cref="HealthInterval"/>
    /// and reports in the host's registration. A host of a rollout's wave that reports
    /// <see cref="HealthStatus.Unhealthy"/> after it began serving the rollout's version stops the
    /// rollout (docs/fleet.md, "Health"); <see cref="HealthStatus.Degraded"/> counts as healthy.
    /// </summary>
    /// <value>
    /// <see langword="null"/> by default: no check, and a rollout is gated on its hosts' answers and on
    /// the versions they roll back by themselves (<see cref="PluginHostOptions.AutoRollback"/>). Under
    /// <c>AddFleet</c>, when unset and the container has health checks (<c>AddHealthChecks()</c>), the
    /// container's checks selected by <see cref="HealthCheckPredicate"/>.
    /// </value>
    public Func<CancellationToken, Task<HealthReport>>? HealthCheck { get; set; }

    /// <summary>Gets or sets which of the container's health checks the agent runs when <see cref="HealthCheck"/> is unset under <c>AddFleet</c>.</summary>
    /// <value><see langword="null"/> by default: every registered check.</value>
    public Func<HealthCheckRegistration, bool>? HealthCheckPredicate { get; set; }

    /// <summary>Gets or sets how often the health check runs, and the longest one check may take (a check that takes longer is unhealthy).</summary>
    /// <value>5 seconds by default; at least 100 milliseconds.</value>
    public TimeSpan HealthInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the clock that stamps records and times downloads (the store's own retries and keep-alive always use the system clock).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks the options; throws naming the first one that is wrong.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Endpoints))
        {
            throw new ArgumentException("FleetAgentOptions.Endpoints is required: the etcd client URLs, comma-separated.", nameof(Endpoints));
        }

        if (!PluginLayout.IsValidName(Fleet))
        {
            throw new ArgumentException($"FleetAgentOptions.Fleet '{Fleet}' is not a valid fleet name: one path segment, not starting with a dot.", nameof(Fleet));
        }

        if (HostId is not null && !PluginLayout.IsValidName(HostId))
        {
            throw new ArgumentException($"FleetAgentOptions.HostId '{HostId}' is not a valid host id: one path segment, not starting with a dot.", nameof(HostId));
        }

        if (LeaseTtl < TimeSpan.FromSeconds(2))
        {
            throw new ArgumentException($"FleetAgentOptions.LeaseTtl is {LeaseTtl}; etcd's minimum is 2 seconds.", nameof(LeaseTtl));
        }

        if (CallTimeout <= TimeSpan.Zero || FetchTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("FleetAgentOptions.CallTimeout and FetchTimeout must be positive.", nameof(CallTimeout));
        }

        if (HealthInterval < TimeSpan.FromMilliseconds(100) || HealthInterval > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"FleetAgentOptions.HealthInterval is {HealthInterval}; it must be from 100 milliseconds to a day.", nameof(HealthInterval));
        }
    }
}
