using Microsoft.AspNetCore.Builder;

namespace Hotswap;

/// <summary>
/// The conventions the host adds to <c>MapPluginEndpoints()</c> (authorization, CORS, metadata):
/// host-side delegates, applied to every generation's endpoints when they are built.
/// </summary>
internal sealed class PluginEndpointConventions : IEndpointConventionBuilder
{
    private readonly Lock _gate = new();
    private readonly List<Action<EndpointBuilder>> _conventions = [];
    private readonly List<Action<EndpointBuilder>> _finally = [];

    public void Add(Action<EndpointBuilder> convention)
    {
        ArgumentNullException.ThrowIfNull(convention);
        lock (_gate)
        {
            _conventions.Add(convention);
        }
    }

    public void Finally(Action<EndpointBuilder> finallyConvention)
    {
        ArgumentNullException.ThrowIfNull(finallyConvention);
        lock (_gate)
        {
            _finally.Add(finallyConvention);
        }
    }

    /// <summary>Applies the conventions in the order they were added, then the final ones in reverse order, as the framework's data sources do.</summary>
    public void Apply(EndpointBuilder builder)
    {
        Action<EndpointBuilder>[] conventions;
        Action<EndpointBuilder>[] last;
        lock (_gate)
        {
            conventions = [.. _conventions];
            last = [.. _finally];
        }

        foreach (Action<EndpointBuilder> convention in conventions)
        {
            convention(builder);
        }

        for (int i = last.Length - 1; i >= 0; i--)
        {
            last[i](builder);
        }
    }
}
