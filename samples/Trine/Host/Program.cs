using Hotswap;
using Hotswap.Samples;

// The Trine sample: alpha <- beta <- gamma through Export/Import; republishing alpha reloads the chain.
string plugins = Path.Combine(Demo.SamplesDirectory, "Trine", "Plugins");
string Project(string name) => Path.Combine(plugins, name, name + ".csproj");
if (!args.Contains("--demo"))
{
    return await Interactive.RunAsync(
        "Trine",
        [("Plugins/Alpha", "alpha"), ("Plugins/Beta", "beta"), ("Plugins/Gamma", "gamma")],
        null,
        host => (string)host.Invoke("gamma", "describe")!);
}

using var demo = new Demo(
    "Hotswap Trine demo",
    "gamma imports beta, beta imports alpha. Republishing alpha reloads beta and gamma in the same all-or-nothing transaction.");
PublishResult[] v1 = await Task.WhenAll(
    demo.BuildAndPublishAsync(Project("Alpha"), "alpha", 1),
    demo.BuildAndPublishAsync(Project("Beta"), "beta", 1),
    demo.BuildAndPublishAsync(Project("Gamma"), "gamma", 1));
await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = demo.Root });
Demo.Step($"host loaded {await host.LoadAsync()}");
string Describe() => (string)host.Invoke("gamma", "describe")!;
Demo.Step("gamma says: " + Describe());

// Every answer is tagged with alpha's version, which is the one that changes.
SwapEvidence evidence = await DemoSwap.SwapWhileCallingAsync(
    host,
    () => Describe() is var d && d.EndsWith("alpha v2", StringComparison.Ordinal) ? "v2:" + d : "v1:" + d,
    () => demo.BuildAndPublishAsync(Project("Alpha"), "alpha", 2),
    [.. v1.Select(p => new PluginVersionInfo(p.Manifest.Name, p.Version))]);
string after = Describe();
Demo.Step("gamma says: " + after);

demo.CheckSwap(evidence);
demo.Check("republishing alpha alone reloaded alpha, beta and gamma", evidence.Swap.Plugins.All(p => p.Outcome == ReloadOutcome.Loaded));
demo.Check("the call to gamma flows through beta to alpha v2", after == "gamma -> beta -> alpha v2");
return demo.Finish(evidence.Lines());
