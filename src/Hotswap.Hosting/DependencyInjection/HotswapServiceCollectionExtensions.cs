using Hotswap;
using Hotswap.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Hotswap to a service collection: <c>services.AddHotswap()</c>.</summary>
public static class HotswapServiceCollectionExtensions
{
    /// <summary>The configuration section read by default: <c>Hotswap</c>.</summary>
    public const string DefaultSectionName = "Hotswap";

    /// <summary>
    /// Adds a <see cref="PluginHost"/> singleton, its options (bound from the configuration section
    /// <c>Hotswap</c>, then <paramref name="configure"/>; validated when the host starts) and a hosted
    /// service that loads the first generation on start and drains and disposes on stop.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets options in code, after the configuration was bound: what it sets wins.</param>
    /// <returns>A builder to add proxies and health checks.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// Repeated calls are harmless: services are added once (the first call's configuration section
    /// is the one read), and each call's <paramref name="configure"/> runs, in call order.
    /// <see cref="PluginHostOptions.LoggerFactory"/>, <see cref="PluginHostOptions.TimeProvider"/> and
    /// <see cref="PluginHostOptions.Services"/> come from the container unless set in code.
    /// </remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)] // the calling assembly names the sharing context
    public static IHotswapBuilder AddHotswap(this IServiceCollection services, Action<PluginHostOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        return AddHotswapCore(services, HotswapConfiguration.FromHost(DefaultSectionName), configure, CallerContext(System.Reflection.Assembly.GetCallingAssembly()));
    }

    /// <summary>
    /// Adds Hotswap as <see cref="AddHotswap(IServiceCollection, Action{PluginHostOptions}?)"/> does,
    /// with its options bound from the section <paramref name="sectionPath"/> of the host's <see cref="IConfiguration"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="sectionPath">The section's path, such as <c>Hotswap</c> or <c>Plugins:Hotswap</c>; its settings are named by it in errors.</param>
    /// <param name="configure">Sets options in code, after the configuration was bound: what it sets wins.</param>
    /// <returns>A builder to add proxies and health checks.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="sectionPath"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sectionPath"/> is empty.</exception>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static IHotswapBuilder AddHotswap(this IServiceCollection services, string sectionPath, Action<PluginHostOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(sectionPath);
        return AddHotswapCore(services, HotswapConfiguration.FromHost(sectionPath), configure, CallerContext(System.Reflection.Assembly.GetCallingAssembly()));
    }

    /// <summary>
    /// Adds Hotswap as <see cref="AddHotswap(IServiceCollection, Action{PluginHostOptions}?)"/> does,
    /// with its options bound from <paramref name="configuration"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section to read, such as <c>builder.Configuration.GetSection("Hotswap")</c>.</param>
    /// <param name="configure">Sets options in code, after the configuration was bound: what it sets wins.</param>
    /// <returns>A builder to add proxies and health checks.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static IHotswapBuilder AddHotswap(this IServiceCollection services, IConfiguration configuration, Action<PluginHostOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return AddHotswapCore(services, HotswapConfiguration.FromSection(configuration), configure, CallerContext(System.Reflection.Assembly.GetCallingAssembly()));
    }

    /// <summary>The load context of the code that adds Hotswap when it is not the default one: a plugin building a container of its own for sub-plugins, which then share the plugin's contracts.</summary>
    private static System.Runtime.Loader.AssemblyLoadContext? CallerContext(System.Reflection.Assembly caller)
        => System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(caller) is { } context && !ReferenceEquals(context, System.Runtime.Loader.AssemblyLoadContext.Default) ? context : null;

    private static HotswapBuilder AddHotswapCore(IServiceCollection services, HotswapConfiguration configuration, Action<PluginHostOptions>? configure, System.Runtime.Loader.AssemblyLoadContext? caller)
    {
        if (!services.Any(static d => d.ServiceType == typeof(HotswapConfiguration)))
        {
            services.AddSingleton(configuration);
            services.AddOptions<PluginHostOptions>()
                .Configure<HotswapConfiguration, IServiceProvider>(static (o, source, sp) =>
                {
                    if (source.Section(sp) is { } section)
                    {
                        PluginHostSettings.Bind(section, o, source, errors: null);
                    }
                })
                .ValidateOnStart();
            services.AddOptions<HotswapHostingOptions>()
                .Configure<HotswapConfiguration, IServiceProvider>(static (o, source, sp) =>
                {
                    if (source.Section(sp) is { } section)
                    {
                        PluginHostSettings.Bind(section, o, source, errors: null);
                    }
                });

            // After every Configure: what the code left unset comes from the container.
            services.AddOptions<PluginHostOptions>().PostConfigure<IServiceProvider>((o, sp) =>
            {
                o.LoggerFactory ??= sp.GetService<ILoggerFactory>();
                o.SharingContext ??= caller; // null for an application: PluginHost.Create's default (the default context)

                // The container's meter factory scopes the Hotswap meter to it (AddMetrics registers one).
                o.MeterFactory ??= sp.GetService<System.Diagnostics.Metrics.IMeterFactory>();

                // services.AddSingleton(UnloadDiagnosers.HeapDump()) turns the diagnosis of stuck versions on.
                o.UnloadDiagnoser ??= sp.GetService<IUnloadDiagnoser>();
                if (o.TimeProvider is null || ReferenceEquals(o.TimeProvider, TimeProvider.System))
                {
                    o.TimeProvider = sp.GetService<TimeProvider>() ?? TimeProvider.System;
                }

                o.Services ??= sp;
            });
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PluginHostOptions>, PluginHostOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PluginHostState>();
        services.TryAddSingleton(static sp =>
        {
            PluginHost host = PluginHost.Create(sp.GetRequiredService<IOptions<PluginHostOptions>>().Value);
            sp.GetRequiredService<PluginHostState>().Attach(host);
            return host;
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PluginHostService>());
        return new HotswapBuilder(services);
    }
}
