using Microsoft.Extensions.DependencyInjection;

namespace Hotswap.Hosting;

/// <summary>The one implementation of <see cref="IHotswapBuilder"/>.</summary>
internal sealed class HotswapBuilder(IServiceCollection services) : IHotswapBuilder
{
    public IServiceCollection Services { get; } = services;
}
