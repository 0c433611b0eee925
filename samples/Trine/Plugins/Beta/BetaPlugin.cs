using Hotswap;
using Trine.Contracts;

[assembly: HotswapPlugin(typeof(Beta.BetaPlugin))]

namespace Beta;

/// <summary>Imports alpha; reloaded with it whenever alpha is republished.</summary>
public sealed class BetaPlugin : Plugin
{
    [Import("alpha")]
    public ILink Alpha { get; set; } = null!;

    public override object? Export() => new Link(this);

    private sealed class Link(BetaPlugin owner) : ILink
    {
        public string Describe() => $"beta -> {owner.Alpha.Describe()}";
    }
}
