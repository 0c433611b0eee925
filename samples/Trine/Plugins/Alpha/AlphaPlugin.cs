using Hotswap;
using Trine.Contracts;

[assembly: HotswapPlugin(typeof(Alpha.AlphaPlugin))]

namespace Alpha;

/// <summary>The root of the chain: imports nothing, exports a link.</summary>
public sealed class AlphaPlugin : Plugin
{
#if DEMO_V2
    internal const string Version = "v2";
#else
    internal const string Version = "v1";
#endif

    public override object? Export() => new Link();

    private sealed class Link : ILink
    {
        public string Describe() => $"alpha {Version}";
    }
}
