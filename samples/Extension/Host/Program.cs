using Extension.Contracts;
using Hotswap;
using Hotswap.Samples;

// The Extension sample: the host calls plugin logic through a typed, per-generation Vault.Extension.
string project = Path.Combine(Demo.SamplesDirectory, "Extension", "Plugins", "Polite", "Polite.csproj");
if (!args.Contains("--demo"))
{
    return await Interactive.RunAsync(
        "Extension",
        [("Plugins/Polite", "polite")],
        o => o.ExtensionFactory = () => new Greeters(),
        host =>
        {
            using GenerationLease lease = host.Acquire();
            return lease.Generation.Vault.Extension<Greeters>()["polite"].Greet("you");
        });
}

using var demo = new Demo(
    "Hotswap Extension demo",
    "The host owns a typed extension (Greeters), created for every generation; plugins fill it in OnInitAsync and the host calls through it.");
PublishResult v1 = await demo.BuildAndPublishAsync(project, "polite", 1);
int extensions = 0;
await using PluginHost host = PluginHost.Create(new PluginHostOptions
{
    PluginsRoot = demo.Root,
    ExtensionFactory = () =>
    {
        Interlocked.Increment(ref extensions);
        return new Greeters();
    },
});
Demo.Step($"host loaded {await host.LoadAsync()}");
Demo.Step("host asks the extension: " + Greet());

SwapEvidence evidence = await DemoSwap.SwapWhileCallingAsync(host, Greet, () => demo.BuildAndPublishAsync(project, "polite", 2), [new PluginVersionInfo("polite", v1.Version)]);
string after = Greet();
Demo.Step("host asks the extension: " + after);

demo.CheckSwap(evidence);
demo.Check("each generation got its own extension, filled by the plugin", extensions == 2 && after.StartsWith("v2:", StringComparison.Ordinal));
return demo.Finish([.. evidence.Lines(), ("extensions created (one per generation)", extensions.ToString(System.Globalization.CultureInfo.InvariantCulture))]);

// One lease per call: the extension and the greeter it holds belong to one generation.
string Greet()
{
    using GenerationLease lease = host.Acquire();
    return lease.Generation.Vault.Extension<Greeters>()["polite"].Greet("you");
}
