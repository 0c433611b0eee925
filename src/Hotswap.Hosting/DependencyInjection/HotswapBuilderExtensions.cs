using Hotswap;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>What an <see cref="IHotswapBuilder"/> adds: injectable plugin proxies and the health check.</summary>
public static class HotswapBuilderExtensions
{
    /// <summary>
    /// Makes <typeparamref name="TContract"/> injectable as a singleton: the generated proxy of
    /// <see cref="PluginHost.GetProxy{T}"/> for <paramref name="pluginName"/>, which always calls the
    /// plugin's current version and leases it for each call.
    /// </summary>
    /// <typeparam name="TContract">An interface marked <see cref="PluginContractAttribute"/>, whose proxy the <c>Hotswap.Generators</c> analyzer generated in the host.</typeparam>
    /// <param name="builder">The builder <c>AddHotswap</c> returned.</param>
    /// <param name="pluginName">The plugin that exports <typeparamref name="TContract"/> (case-insensitive).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="pluginName"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="pluginName"/> is empty.</exception>
    /// <remarks>
    /// The proxy is also registered as a keyed service under <paramref name="pluginName"/>, so several
    /// plugins exporting one contract can each be injected (<c>[FromKeyedServices("beta")]</c>); the
    /// first plugin registered for a contract is the one injected without a key. Repeating a call
    /// is harmless. Resolving it throws <see cref="InvalidOperationException"/> when no proxy was
    /// generated for <typeparamref name="TContract"/>.
    /// </remarks>
    public static IHotswapBuilder AddProxy<TContract>(this IHotswapBuilder builder, string pluginName)
        where TContract : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        builder.Services.TryAddKeyedSingleton<TContract>(pluginName, static (sp, key) => sp.GetRequiredService<PluginHost>().GetProxy<TContract>((string)key!)); // registered with a string key just above.
        builder.Services.TryAddSingleton<TContract>(sp => sp.GetRequiredKeyedService<TContract>(pluginName));
        return builder;
    }

    /// <summary>
    /// Adds the Hotswap health check (named <c>hotswap</c>) to the container's health checks: Healthy
    /// when the last reload succeeded and no version is stuck; Degraded, with the reason, when the last
    /// reload failed (the previous generation still serves) or a retired version is stuck; Unhealthy
    /// when no generation serves.
    /// </summary>
    /// <param name="builder">The builder <c>AddHotswap</c> returned.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IHotswapBuilder AddHealthChecks(this IHotswapBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHealthChecks().AddHotswap();
        return builder;
    }
}
