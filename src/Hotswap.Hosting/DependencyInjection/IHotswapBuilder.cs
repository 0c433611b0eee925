using Microsoft.Extensions.DependencyInjection;

namespace Hotswap;

/// <summary>
/// What <c>services.AddHotswap()</c> returns: the service collection Hotswap was added to, for the
/// extension methods that add to it (<c>AddProxy</c>, <c>AddHealthChecks</c>).
/// </summary>
public interface IHotswapBuilder
{
    /// <summary>Gets the service collection Hotswap was added to.</summary>
    IServiceCollection Services { get; }
}
