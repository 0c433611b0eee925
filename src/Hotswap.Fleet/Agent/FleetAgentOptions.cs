namespace Hotswap;

/// <summary>How a <see cref="FleetAgent"/> reaches its fleet (docs/fleet.md).</summary>
public sealed class FleetAgentOptions
{
    /// <summary>Gets or sets the etcd client URLs, comma-separated (for example <c>http://10.0.0.1:2379,http://10.0.0.2:2379</c>).</summary>
    public string Endpoints { get; set; } = "";

    /// <summary>Gets or sets the fleet's name: every key of the fleet lives under <c>/hotswap/fleets/{Fleet}/</c>.</summary>
    public string Fleet { get; set; } = "";

    /// <summary>Gets or sets this host's id in the fleet; by default the machine name, the process id and a random suffix.</summary>
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
    }
}
