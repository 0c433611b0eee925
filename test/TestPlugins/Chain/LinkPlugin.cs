using Hotswap;
using TestContracts;

[assembly: HotswapPlugin(typeof(Chain.LinkPlugin))]

namespace Chain;

/// <summary>
/// One link of the chain. Alpha imports nothing; beta imports alpha; gamma imports beta; the
/// "cycle" build imports gamma (published as alpha, it closes a cycle of three).
/// </summary>
public sealed class LinkPlugin : Plugin
{
#if CHAIN_V2
    private const string Tag = "v2";
#else
    private const string Tag = "v1";
#endif

    private readonly PluginLocation _where = Probe.Locate(typeof(LinkPlugin).Assembly);

    public LinkPlugin() => _where.Record("Construct");

#if CHAIN_BETA
    [Import("alpha")]
    public ILink? Next { get; set; }
#elif CHAIN_GAMMA
    [Import("beta")]
    public ILink? Next { get; set; }
#elif CHAIN_CYCLE
    [Import("gamma")]
    public ILink? Next { get; set; }
#else
    public ILink? Next => null;
#endif

    public override bool Reloadable => _where.Setting("reloadable") != "false";

    public override object? Export() => new Link(this);

    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        _where.Record("OnLoad");
        return Task.CompletedTask;
    }

    public override Task OnInitAsync(Vault vault, CancellationToken cancellationToken)
    {
        _where.Record("OnInit");
        if (vault.TryGetExtension(out VaultExtension? extension))
        {
            extension.Register(_where.PluginName, $"{Tag}#{vault.Generation}");
        }

        return Task.CompletedTask;
    }

    public override Task OnFreeAsync(CancellationToken cancellationToken)
    {
        _where.Record("OnFree");
        return Task.CompletedTask;
    }

    public override object? Invoke(string name, params object?[] args) => name == "describe" ? new Link(this).Describe() : null;

    private sealed class Link(LinkPlugin owner) : ILink
    {
        public string Describe() => owner.Next is { } next ? $"{owner._where.PluginName}({Tag}) -> {next.Describe()}" : $"{owner._where.PluginName}({Tag})";
    }
}
