using Hotswap;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>What <c>Hotswap.Fleet</c> adds to an <see cref="IHotswapBuilder"/>: the fleet agent.</summary>
public static class FleetHotswapBuilderExtensions
{
    /// <summary>
    /// Runs a <see cref="FleetAgent"/> beside the container's <see cref="PluginHost"/>: it joins the
    /// fleet once the host's first generation is loaded, and leaves it (its registration revoked)
    /// when the application stops, before the host drains. When the container has health checks
    /// (<c>AddHealthChecks()</c>) and <see cref="FleetAgentOptions.HealthCheck"/> is unset, the agent
    /// reports what they say, and an unhealthy host stops a rollout of the version it just took.
    /// </summary>
    /// <param name="builder">The builder <c>AddHotswap</c> returned.</param>
    /// <param name="configure">Sets the fleet's endpoints, name, the host's id and labels.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    public static IHotswapBuilder AddFleet(this IHotswapBuilder builder, Action<FleetAgentOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        return AddFleetCore(builder, sectionPath: null, configure);
    }

    /// <summary>
    /// Runs a <see cref="FleetAgent"/> as <see cref="AddFleet(IHotswapBuilder, Action{FleetAgentOptions})"/>
    /// does, with its options bound from the section <paramref name="sectionPath"/> of the host's
    /// configuration (<c>Endpoints</c>, <c>Fleet</c>, <c>HostId</c>, <c>Labels:zone</c>,
    /// <c>LeaseTtl</c>, <c>CallTimeout</c>, <c>FetchTimeout</c>), then set by <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The builder <c>AddHotswap</c> returned.</param>
    /// <param name="sectionPath">The section's path; an option that is wrong is named by it when the agent is created.</param>
    /// <param name="configure">Sets options in code, after the configuration was bound: what it sets wins.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="sectionPath"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sectionPath"/> is empty.</exception>
    public static IHotswapBuilder AddFleet(this IHotswapBuilder builder, string sectionPath = "Hotswap:Fleet", Action<FleetAgentOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(sectionPath);
        return AddFleetCore(builder, sectionPath, configure);
    }

    private static IHotswapBuilder AddFleetCore(IHotswapBuilder builder, string? sectionPath, Action<FleetAgentOptions>? configure)
    {
        builder.Services.TryAddSingleton(sp =>
        {
            var options = new FleetAgentOptions();
            if (sectionPath is not null && sp.GetService<IConfiguration>() is { } configuration)
            {
                configuration.GetSection(sectionPath).Bind(options);
            }

            configure?.Invoke(options);
            if (options.HealthCheck is null && sp.GetService<HealthCheckService>() is { } checks)
            {
                // The application's own health checks (AddHealthChecks()) gate the fleet's rollouts.
                Func<HealthCheckRegistration, bool>? predicate = options.HealthCheckPredicate;
                options.HealthCheck = cancellationToken => checks.CheckHealthAsync(predicate, cancellationToken);
            }

            try
            {
                return new FleetAgent(sp.GetRequiredService<PluginHost>(), options, sp.GetService<ILoggerFactory>());
            }
            catch (ArgumentException ex) when (sectionPath is not null)
            {
                throw new InvalidOperationException($"The fleet agent's configuration (section '{sectionPath}') is not usable: {ex.Message}", ex);
            }
        });
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, FleetAgentService>());
        return builder;
    }

    /// <summary>Starts the agent with the application and stops it first when the application stops.</summary>
    private sealed class FleetAgentService(FleetAgent agent) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => agent.StartAsync(cancellationToken);

        public async Task StopAsync(CancellationToken cancellationToken) => await agent.DisposeAsync().ConfigureAwait(false);
    }
}
