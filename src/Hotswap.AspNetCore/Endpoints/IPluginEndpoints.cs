using Microsoft.AspNetCore.Routing;

namespace Hotswap;

/// <summary>
/// Implemented by the object a plugin exports (<see cref="Plugin.Export"/>) to contribute HTTP
/// endpoints to a host that called <c>MapPluginEndpoints()</c>. The host calls
/// <see cref="MapEndpoints"/> once per generation; the endpoints mapped there serve until the next
/// switch, and every request to one of them holds a lease on that generation until it completes.
/// </summary>
/// <remarks>
/// <para>
/// Plugins reference <c>Hotswap.AspNetCore</c> as a shared assembly (<c>Private="false"</c>, or
/// <c>ExcludeAssets="runtime"</c> for a package), with the <c>Microsoft.AspNetCore.App</c>
/// framework: the host's copies are used, so this interface is the same type on both sides.
/// </para>
/// <para>
/// Map endpoints only (<c>MapGet</c>, <c>MapPost</c>, <c>Map</c>, route groups); MVC controllers and
/// Razor Pages are not supported, because their application parts and action descriptor caches are
/// process-wide and would keep every old version loaded. Do not keep the builder
/// beyond the call, and do not register anything in its <see cref="IEndpointRouteBuilder.ServiceProvider"/>:
/// it is the host's, and outlives the version.
/// </para>
/// </remarks>
public interface IPluginEndpoints
{
    /// <summary>Maps this version's endpoints.</summary>
    /// <param name="endpoints">A builder that collects the endpoints of one generation; its service provider is the host application's.</param>
    void MapEndpoints(IEndpointRouteBuilder endpoints);
}
