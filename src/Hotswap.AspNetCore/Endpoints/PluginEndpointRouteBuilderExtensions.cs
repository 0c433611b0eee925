using Hotswap;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the endpoints that plugins contribute, swapped live at each reload.</summary>
public static class PluginEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the endpoints of the <see cref="PluginHost"/> registered in the application's services
    /// (as <c>AddHotswap</c> registers it).
    /// </summary>
    /// <param name="endpoints">The application, or a route group (whose prefix and conventions then apply to every plugin endpoint).</param>
    /// <returns>A builder for conventions applied to every plugin endpoint of every generation.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">No <see cref="PluginHost"/> is registered.</exception>
    public static IEndpointConventionBuilder MapPluginEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapPluginEndpoints(endpoints.ServiceProvider.GetRequiredService<PluginHost>());
    }

    /// <summary>
    /// Maps the endpoints that the plugins of <paramref name="host"/> contribute: every export that
    /// implements <see cref="IPluginEndpoints"/>, called once per generation. At each switch the
    /// endpoints are rebuilt from the new generation; each request leases the generation it runs on
    /// until its response has completed, so it runs on one version from start to end and a version
    /// is freed only after its last request.
    /// </summary>
    /// <param name="endpoints">The application, or a route group (whose prefix and conventions then apply to every plugin endpoint).</param>
    /// <param name="host">The plugin host; it may be loaded later: until then no plugin endpoint exists.</param>
    /// <returns>A builder for conventions applied to every plugin endpoint of every generation built after they were added.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> or <paramref name="host"/> is <see langword="null"/>.</exception>
    /// <remarks>MVC controllers and Razor Pages in plugins are not supported: map endpoints (<c>MapGet</c>, <c>MapPost</c>, groups) in <see cref="IPluginEndpoints.MapEndpoints"/>.</remarks>
    public static IEndpointConventionBuilder MapPluginEndpoints(this IEndpointRouteBuilder endpoints, PluginHost host)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(host);
        var conventions = new PluginEndpointConventions();
        var source = new PluginEndpointDataSource(host, endpoints.ServiceProvider, conventions);
        endpoints.DataSources.Add(source);
        return conventions;
    }
}
