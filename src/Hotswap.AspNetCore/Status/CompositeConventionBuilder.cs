using Microsoft.AspNetCore.Builder;

namespace Hotswap;

/// <summary>Forwards conventions to the builders of the status page's endpoints.</summary>
internal sealed class CompositeConventionBuilder(IReadOnlyList<IEndpointConventionBuilder> builders) : IEndpointConventionBuilder
{
    public void Add(Action<EndpointBuilder> convention)
    {
        foreach (IEndpointConventionBuilder builder in builders)
        {
            builder.Add(convention);
        }
    }

    public void Finally(Action<EndpointBuilder> finallyConvention)
    {
        foreach (IEndpointConventionBuilder builder in builders)
        {
            builder.Finally(finallyConvention);
        }
    }
}
