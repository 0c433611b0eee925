using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Hotswap;

/// <summary>
/// The <see cref="IEndpointRouteBuilder"/> a plugin maps into: it only collects data sources, which
/// <see cref="PluginEndpointDataSource"/> reads once and then drops. Nothing here outlives the build
/// of one generation's endpoints.
/// </summary>
internal sealed class EndpointCollector(IServiceProvider services) : IEndpointRouteBuilder
{
    private readonly List<EndpointDataSource> _dataSources = [];

    public IServiceProvider ServiceProvider { get; } = services;

    public ICollection<EndpointDataSource> DataSources => _dataSources;

    public IApplicationBuilder CreateApplicationBuilder() => new ApplicationBuilder(ServiceProvider);
}
