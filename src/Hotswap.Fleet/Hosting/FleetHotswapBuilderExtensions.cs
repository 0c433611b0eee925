using Hotswap;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>What <c>Hotswap.Fleet</c> adds to an <see cref="IHotswapBuilder"/>: the fleet agent.</summary>
public static class FleetHotswapBuilderExtensions
{
    /// <summary>
    /// Runs a <see cref="FleetAgent"/> beside the container's <see cref="PluginHost"/>: it joins the
    /// fleet once the host's first generation is loaded, and leaves it (its registration revoked)
    /// when the application stops, before the host drains.
    /// </summary>
    /// <param name="builder">The builder <c>AddHotswap</c> returned.</param>
    /// <param name="configure">Sets the fleet's endpoints, name, the host's id and labels.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    public static IHotswapBuilder AddFleet(this IHotswapBuilder builder, Action<FleetAgentOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.TryAddSingleton(sp =>
        {
            var options = new FleetAgentOptions();
            configure(options);
            return new FleetAgent(sp.GetRequiredService<PluginHost>(), options, sp.GetService<ILoggerFactory>());
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
