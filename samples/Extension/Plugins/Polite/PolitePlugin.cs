using Extension.Contracts;
using Hotswap;

[assembly: HotswapPlugin(typeof(Polite.PolitePlugin))]

namespace Polite;

/// <summary>Registers its greeter in each generation's typed extension; the host calls it through there.</summary>
public sealed class PolitePlugin : Plugin
{
    public override Task OnInitAsync(Vault vault, CancellationToken cancellationToken)
    {
        vault.Extension<Greeters>().Add("polite", new PoliteGreeter());
        return Task.CompletedTask;
    }

    private sealed class PoliteGreeter : IGreeter
    {
#if DEMO_V2
        public string Greet(string name) => $"v2:good day to you, {name}";
#else
        public string Greet(string name) => $"v1:hello {name}";
#endif
    }
}
