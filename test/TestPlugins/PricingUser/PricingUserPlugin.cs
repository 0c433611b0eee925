using Hotswap;

[assembly: HotswapPlugin(typeof(PricingUser.PricingUserPlugin))]

namespace PricingUser;

public sealed class PricingUserPlugin : Plugin
{
    public override object? Export() => new Pricing();

    public override object? Invoke(string name, params object?[] args) => name == "libraryContext" ? VersionedLib.Info.Context() : null;

    private sealed class Pricing : PricingContract.IPricing
    {
        public VersionedLib.Note Quote(string item) => new($"{item}: 3 coins");
    }
}
