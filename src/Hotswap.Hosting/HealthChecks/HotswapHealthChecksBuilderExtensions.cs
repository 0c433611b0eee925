using Hotswap.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Hotswap health check to <c>services.AddHealthChecks()</c>.</summary>
public static class HotswapHealthChecksBuilderExtensions
{
    /// <summary>The name of the check unless another is given: <c>hotswap</c>.</summary>
    public const string DefaultName = "hotswap";

    /// <summary>
    /// Adds the Hotswap health check: Healthy when the last reload succeeded and no version is stuck;
    /// Degraded, with each reason in the description, when the last reload failed (the previous
    /// generation still serves) or a retired version is stuck (not drained, or not collected, within
    /// <c>UnloadTimeout</c>); <paramref name="failureStatus"/> when no generation serves (before the
    /// first load, after a failed first load, after stop). Needs <c>services.AddHotswap()</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">What to report when nothing serves; <see langword="null"/> for <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by, such as <c>ready</c>.</param>
    /// <returns>The health checks builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    /// <remarks>Adding a check of the same name twice is harmless: the second is ignored.</remarks>
    public static IHealthChecksBuilder AddHotswap(this IHealthChecksBuilder builder, string name = DefaultName, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);

        // The health check service refuses two checks of one name: a repeated call adds nothing.
        var marker = new HealthCheckName(name);
        if (builder.Services.Any(d => d.ServiceType == typeof(HealthCheckName) && Equals(d.ImplementationInstance, marker)))
        {
            return builder;
        }

        builder.Services.AddSingleton(marker);
        builder.Services.TryAddSingleton<PluginHostState>();
        builder.Services.TryAddSingleton<PluginHostHealthCheck>();
        return builder.Add(new HealthCheckRegistration(name, static sp => sp.GetRequiredService<PluginHostHealthCheck>(), failureStatus, tags));
    }
}
