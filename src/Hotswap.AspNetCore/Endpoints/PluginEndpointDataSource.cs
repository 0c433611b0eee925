using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;

namespace Hotswap;

/// <summary>
/// The endpoints the plugins of the serving generation contribute, swapped at each switch. Owns
/// the whole protocol: the current generation's table, its change token, the build of a table
/// (every <see cref="IPluginEndpoints"/> export maps into an <see cref="EndpointCollector"/>), and
/// the request path (lease the current generation for the whole request, run that generation's
/// delegate for the route).
/// </summary>
/// <remarks>
/// <para>
/// The order at a switch: the host publishes generation N+1, then raises <c>Reloaded</c> (or
/// <c>RolledBack</c>, when an older generation serves again), on which
/// this source builds N+1's table, publishes it and fires the old change token; routing rebuilds
/// its matcher from <see cref="Endpoints"/> and drops N's endpoints. A request routed on N in
/// between leases N+1 and runs N+1's delegate for the same route (or gets 404 when N+1 has none),
/// building N+1's table itself if the event has not done it yet. Either way no request fails and
/// none runs on a generation it does not lease.
/// </para>
/// <para>
/// Nothing of a retired generation is kept: the table is replaced (and routing's matcher with it),
/// and if a version of the current table starts unloading (the host is being disposed) the table is
/// dropped. No request delegate, endpoint or metadata of plugin code is cached anywhere else.
/// </para>
/// </remarks>
internal sealed class PluginEndpointDataSource : EndpointDataSource, IDisposable
{
    private readonly PluginHost _host;
    private readonly IServiceProvider _services;
    private readonly PluginEndpointConventions _conventions;
    private readonly ILogger _logger;
    private readonly Lock _buildGate = new();
    private GenerationEndpoints _current = GenerationEndpoints.None;
    private CancellationTokenSource _changed = new();
    private bool _disposed;

    public PluginEndpointDataSource(PluginHost host, IServiceProvider services, PluginEndpointConventions conventions)
    {
        _host = host;
        _services = services;
        _conventions = conventions;
        _logger = (ILogger?)services.GetService<ILoggerFactory>()?.CreateLogger("Hotswap.AspNetCore") ?? NullLogger.Instance;
        _host.Reloaded += OnReloaded;
        _host.RolledBack += OnRolledBack;
        _host.Unloading += OnUnloading;
    }

    /// <summary>Gets the endpoints of the serving generation, building them on first use.</summary>
    public override IReadOnlyList<Microsoft.AspNetCore.Http.Endpoint> Endpoints
    {
        get
        {
            GenerationEndpoints current = Volatile.Read(ref _current);
            if (current.Number != 0 && current.Number == _host.GenerationNumber)
            {
                return current.Endpoints;
            }

            if (_disposed || _host.GenerationNumber == 0)
            {
                return current.Endpoints;
            }

            try
            {
                using GenerationLease lease = _host.Acquire();
                return TableFor(lease.Generation).Endpoints;
            }
            catch (ObjectDisposedException)
            {
                return GenerationEndpoints.None.Endpoints; // the host is gone: nothing serves.
            }
        }
    }

    public override IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changed).Token);

    public void Dispose()
    {
        _host.Reloaded -= OnReloaded;
        _host.RolledBack -= OnRolledBack;
        _host.Unloading -= OnUnloading;
        lock (_buildGate)
        {
            _disposed = true;
            _current = GenerationEndpoints.None;
        }
    }

    /// <summary>Runs one request on the generation it leases; the lease is released when the response has completed.</summary>
    internal Task InvokeAsync(HttpContext context, GenerationEndpoints routedOn, string key, RequestDelegate target)
    {
        GenerationLease lease;
        try
        {
            lease = _host.Acquire();
        }
        catch (ObjectDisposedException)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        }

        // Released after the response completed (and after callbacks the plugin registered later,
        // which run first): the whole request, async continuations and body writes included.
        context.Response.RegisterForDispose(lease);
        Generation generation = lease.Generation;
        if (generation.Number != routedOn.Number)
        {
            // Routed on a generation that has been switched away since: run the leased one's
            // delegate for the same route, never the routed one (it is no longer leased).
            RequestDelegate? current = TableFor(generation).Find(key);
            Log.RequestRerouted(_logger, routedOn.Number, generation.Number, current is null ? "lacks" : "has");
            if (current is null)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return current(context);
        }

        return target(context);
    }

    private void OnReloaded(object? sender, ReloadedEventArgs e)
    {
        if (e.Result.Published)
        {
            BuildServing();
        }
    }

    /// <summary>A rollback made an older generation serve again: its table replaces the newer one's.</summary>
    private void OnRolledBack(object? sender, RolledBackEventArgs e) => BuildServing();

    private void BuildServing()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            using GenerationLease lease = _host.Acquire();
            TableFor(lease.Generation);
        }
        catch (ObjectDisposedException)
        {
            // Disposed after the switch: nothing serves any more.
        }
    }

    private void OnUnloading(object? sender, UnloadingEventArgs e)
    {
        // A version of the current table is leaving (the host is being disposed, or a switch has
        // not been seen yet): drop the table so that nothing here keeps it loaded.
        CancellationTokenSource? fire = null;
        lock (_buildGate)
        {
            if (_current.Uses(e.Version))
            {
                _current = GenerationEndpoints.None;
                fire = SwapChangeToken();
            }
        }

        Fire(fire);
    }

    /// <summary>Returns the table of a leased generation, building it (and publishing it when it is the newest) if needed.</summary>
    private GenerationEndpoints TableFor(Generation generation)
    {
        GenerationEndpoints current = Volatile.Read(ref _current);
        if (current.Number == generation.Number)
        {
            return current;
        }

        CancellationTokenSource? fire = null;
        GenerationEndpoints built;
        lock (_buildGate)
        {
            current = _current;
            if (current.Number == generation.Number)
            {
                return current;
            }

            // Only the serving generation's table is published: after a rollback the generation
            // serving again is older than the table it replaces, and a late request that leased the
            // generation rolled back must not publish that one's.
            built = Build(generation);
            if (!_disposed && built.Number == _host.GenerationNumber)
            {
                Volatile.Write(ref _current, built);
                fire = SwapChangeToken();
            }
        }

        // Outside the lock: routing's callbacks read Endpoints and may build again.
        Fire(fire);
        return built;
    }

    private CancellationTokenSource? SwapChangeToken()
    {
        if (_disposed)
        {
            return null;
        }

        CancellationTokenSource old = _changed;
        Volatile.Write(ref _changed, new CancellationTokenSource());
        return old;
    }

    private static void Fire(CancellationTokenSource? changed)
    {
        if (changed is null)
        {
            return;
        }

        // Not disposed: a reader may have just read this source and be about to take its Token,
        // which a disposed source refuses. It holds no timer, so the collector is enough.
        changed.Cancel();
    }

    /// <summary>Maps every contributing plugin of a leased generation and wraps its endpoints.</summary>
    private GenerationEndpoints Build(Generation generation)
    {
        var collected = new List<RouteEndpoint>();
        var contributors = new List<PluginVersionInfo>();
        foreach (PluginVersionInfo plugin in generation.Plugins)
        {
            if (!TryGetContributor(generation, plugin.PluginName, out IPluginEndpoints? contributor))
            {
                continue;
            }

            var mine = new List<RouteEndpoint>();
            try
            {
                var collector = new EndpointCollector(_services);
                contributor.MapEndpoints(collector);
                foreach (EndpointDataSource source in collector.DataSources)
                {
                    mine.AddRange(source.Endpoints.OfType<RouteEndpoint>().Where(static e => e.RequestDelegate is not null));
                }
            }
#pragma warning disable CA1031 // Isolation boundary: one plugin's faulty mapping must not take the other plugins' endpoints down.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.MapEndpointsFailed(_logger, plugin.PluginName, plugin.Version, generation.Number, ex);
                continue;
            }

            contributors.Add(plugin);
            collected.AddRange(mine);
        }

        var byKey = new Dictionary<string, RequestDelegate>(StringComparer.Ordinal);
        var table = new GenerationEndpoints(generation.Number, contributors, byKey, []);
        var endpoints = new List<Microsoft.AspNetCore.Http.Endpoint>(collected.Count);
        foreach (RouteEndpoint endpoint in collected)
        {
            string key = KeyOf(endpoint);
            RequestDelegate target = endpoint.RequestDelegate!; // filtered on non-null above.
            byKey.TryAdd(key, target); // a duplicate route stays ambiguous for routing, as it would be without us.
            var builder = new RouteEndpointBuilder(context => InvokeAsync(context, table, key, target), endpoint.RoutePattern, endpoint.Order)
            {
                DisplayName = endpoint.DisplayName,
            };
            foreach (object metadata in endpoint.Metadata)
            {
                builder.Metadata.Add(metadata);
            }

            _conventions.Apply(builder);
            endpoints.Add(builder.Build());
        }

        table.SetEndpoints(endpoints);
        Log.EndpointsBuilt(_logger, generation.Number, endpoints.Count);
        return table;
    }

    private static bool TryGetContributor(Generation generation, string pluginName, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPluginEndpoints? contributor)
    {
        try
        {
            contributor = generation.GetExport<object>(pluginName) as IPluginEndpoints;
        }
        catch (InvalidCastException)
        {
            contributor = null; // the plugin exports nothing.
        }

        return contributor is not null;
    }

    /// <summary>The route's identity across generations: its HTTP methods and its pattern.</summary>
    private static string KeyOf(RouteEndpoint endpoint)
    {
        IReadOnlyList<string> methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
        string pattern = endpoint.RoutePattern.RawText ?? endpoint.DisplayName ?? "";
        return methods.Count == 0 ? "* " + pattern : string.Join(",", methods.Order(StringComparer.OrdinalIgnoreCase)) + " " + pattern;
    }
}
