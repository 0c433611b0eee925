namespace Hotswap;

/// <summary>How a <see cref="RolloutController"/> reaches its fleet.</summary>
public sealed class RolloutControllerOptions
{
    /// <summary>Gets or sets the etcd client URLs, comma-separated.</summary>
    public string Endpoints { get; set; } = "";

    /// <summary>Gets or sets the fleet's name.</summary>
    public string Fleet { get; set; } = "";

    /// <summary>Gets or sets the time to live of the controller's key: a controller unheard of that long is replaced (minimum 2 seconds).</summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets the deadline of each call to the store.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how long a wave may take to be ready (every admitted host ACKed and serving the
    /// version, or NACKed within the allowance) before the controller pauses the rollout with a reason
    /// that names each host still missing: gone, silent, or serving another version. Resuming gives
    /// the wave the deadline again.
    /// </summary>
    /// <value>10 minutes by default; <see cref="Timeout.InfiniteTimeSpan"/> waits for the hosts for ever.</value>
    public TimeSpan ProgressDeadline { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets the clock bake times are measured on and records are stamped with (the store's own retries and keep-alive always use the system clock).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Endpoints))
        {
            throw new ArgumentException("RolloutControllerOptions.Endpoints is required: the etcd client URLs, comma-separated.", nameof(Endpoints));
        }

        if (!PluginLayout.IsValidName(Fleet))
        {
            throw new ArgumentException($"RolloutControllerOptions.Fleet '{Fleet}' is not a valid fleet name: one path segment, not starting with a dot.", nameof(Fleet));
        }

        if (LeaseTtl < TimeSpan.FromSeconds(2) || CallTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("RolloutControllerOptions.LeaseTtl must be at least 2 seconds and CallTimeout positive.", nameof(LeaseTtl));
        }

        if (ProgressDeadline <= TimeSpan.Zero && ProgressDeadline != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentException($"RolloutControllerOptions.ProgressDeadline is {ProgressDeadline}; it must be positive, or Timeout.InfiniteTimeSpan.", nameof(ProgressDeadline));
        }
    }
}
