using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hotswap.Hosting;

/// <summary>
/// The Hotswap health check. Unhealthy when nothing serves (before the first load, after a failed
/// first load, after stop); Degraded, with each reason, when the last reload failed (the previous
/// generation still serves) or a retired version is stuck (not drained, or not collected, within
/// <see cref="PluginHostOptions.UnloadTimeout"/>); Healthy otherwise.
/// </summary>
internal sealed class PluginHostHealthCheck(PluginHost host, PluginHostState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        PluginHostState.Snapshot snapshot = state.Take();
        long generation = host.GenerationNumber;
        var data = new Dictionary<string, object>(StringComparer.Ordinal) { ["generation"] = generation };
        if (snapshot.Last is { Error: { } error })
        {
            data["lastReloadError"] = error;
        }

        if (snapshot.Stopped || generation == 0)
        {
            // A host that loaded once and serves nothing now was disposed, by the hosted service or by its owner.
            string why = snapshot.Stopped || snapshot.Last is { Succeeded: true } ? SR.HealthStopped
                : snapshot.Last is { Succeeded: false, Error: { } failed } ? SR.HealthFirstLoadFailed(failed)
                : SR.HealthNotLoaded;
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, why, data: data));
        }

        var reasons = new List<string>();
        if (snapshot.Last is { Succeeded: false } last)
        {
            reasons.Add(SR.HealthReloadFailed(generation, last.Error ?? ""));
        }

        var stuck = new List<string>();
        foreach (PluginVersionInfo version in host.StuckVersions)
        {
            reasons.Add(SR.HealthStuck(version, snapshot.StuckCauses.GetValueOrDefault(version)));
            stuck.Add(version.ToString());
        }

        foreach ((PluginVersionInfo version, string cause) in snapshot.NotDrained.OrderBy(static p => p.Key.ToString(), StringComparer.Ordinal))
        {
            reasons.Add(SR.HealthStuck(version, cause));
            stuck.Add(version.ToString());
        }

        if (stuck.Count > 0)
        {
            data["stuck"] = stuck;
        }

        return Task.FromResult(reasons.Count == 0
            ? HealthCheckResult.Healthy(SR.HealthHealthy(generation), data)
            : HealthCheckResult.Degraded(string.Join(" ", reasons), data: data));
    }
}
