using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// What the parts of one host share, copied from <see cref="PluginHostOptions"/> when the host is
/// created: the host never reads the caller's options object again.
/// </summary>
internal sealed class HostRuntime
{
    public HostRuntime(PluginHostOptions options, System.Runtime.Loader.AssemblyLoadContext sharing, GenerationSource source, ILoggerFactory loggerFactory, Func<HostTelemetry.Observation> observe)
    {
        if (!string.IsNullOrWhiteSpace(options.PluginsRoot))
        {
            StartupWarmUp.Start(); // first, so the first load's framework code gets ready while the rest of the host is built
        }

        Telemetry = new HostTelemetry(options.MeterFactory, observe);
        Root = string.IsNullOrWhiteSpace(options.PluginsRoot) ? null : Path.GetFullPath(options.PluginsRoot);
        Assemblies = new HostAssemblies(sharing, options.SharedAssemblies);
        Time = options.TimeProvider;
        LifecycleTimeout = options.LifecycleTimeout;
        UnloadTimeout = options.UnloadTimeout;
        UnloadDiagnoser = options.UnloadDiagnoser;
        Services = options.Services ?? EmptyServiceProvider.Instance;
        ExtensionFactory = options.ExtensionFactory;
        StaticPlugins = [.. options.StaticPlugins];
        Precompile = options.Precompile;
        Probation = options.Probation;
        WarmUp = options.WarmUp;
        AutoRollback = options.AutoRollback is { } auto ? new AutoRollbackOptions { FailureRate = auto.FailureRate, MinimumCalls = auto.MinimumCalls } : null;
        MaxDrainingVersions = options.MaxDrainingVersions;
        LoggerFactory = loggerFactory;
        Logger = loggerFactory.CreateLogger("Hotswap.PluginHost");
        Hooks = new LifecycleHooks(LifecycleTimeout, Time);
        Ids = source.Ids;
        TrustedKeys = TrustedKeySet.Create(options.TrustedKeys); // validated by PluginHost.Create
    }

    /// <summary>Gets the keys whose signatures are trusted, or <see langword="null"/> when signatures are not checked.</summary>
    public TrustedKeySet? TrustedKeys { get; }

    /// <summary>Gets the newest sequence each plugin has served, for downgrade protection.</summary>
    public DowngradeGuard Downgrades { get; } = new();

    /// <summary>Gets the full path of the plugins root, or <see langword="null"/> for a host of static plugins only.</summary>
    public string? Root { get; }

    public TimeProvider Time { get; }

    public TimeSpan LifecycleTimeout { get; }

    public TimeSpan UnloadTimeout { get; }

    /// <summary>Gets what names the cause of a stuck version, or <see langword="null"/>.</summary>
    public IUnloadDiagnoser? UnloadDiagnoser { get; }

    public IServiceProvider Services { get; }

    public Func<object>? ExtensionFactory { get; }

    /// <summary>Gets a value indicating whether new versions' code is compiled before the switch.</summary>
    public bool Precompile { get; }

    /// <summary>Gets the host's own warm-up of each new generation, or <see langword="null"/>.</summary>
    public Func<Generation, CancellationToken, Task>? WarmUp { get; }

    /// <summary>Gets how long the previous generation is kept after a switch; zero for no probation.</summary>
    public TimeSpan Probation { get; }

    /// <summary>Gets when to roll back by itself during probation; <see langword="null"/> for never.</summary>
    public AutoRollbackOptions? AutoRollback { get; }

    /// <summary>Gets how many retired versions of one plugin may drain at once; <see langword="null"/> for no bound.</summary>
    public int? MaxDrainingVersions { get; }

    public IReadOnlyList<StaticPluginRegistration> StaticPlugins { get; }

    public ILoggerFactory LoggerFactory { get; }

    public ILogger Logger { get; }

    public LifecycleHooks Hooks { get; }

    /// <summary>Gets the host's metrics and traces.</summary>
    public HostTelemetry Telemetry { get; }

    public PluginIds Ids { get; }

    public HostAssemblies Assemblies { get; }

    public DataBag DataBag { get; } = new();
}
