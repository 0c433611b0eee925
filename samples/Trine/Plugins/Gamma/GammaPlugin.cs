using Hotswap;
using Trine.Contracts;

[assembly: HotswapPlugin(typeof(Gamma.GammaPlugin))]

namespace Gamma;

/// <summary>Imports beta: a call to gamma flows through beta to alpha.</summary>
public sealed class GammaPlugin : Plugin
{
    [Import("beta")]
    public ILink Beta { get; set; } = null!;

    public override object? Invoke(string name, params object?[] args) => name == "describe" ? $"gamma -> {Beta.Describe()}" : null;
}
