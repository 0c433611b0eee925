using Hotswap;
using Hotswap.Samples;

// The Slink sample: the same plugin source, loaded dynamically or compiled in (--static).
string project = Path.Combine(Demo.SamplesDirectory, "Slink", "Plugins", "Clock", "Clock.csproj");
var noon = new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
if (!args.Contains("--demo") && !args.Contains("--static"))
{
    return await Interactive.RunAsync("Slink", [("Plugins/Clock", "clock")], null, host => (string)host.Invoke("clock", "now", DateTimeOffset.UtcNow)!);
}

if (!args.Contains("--demo"))
{
    bool isStatic = true;
    using var scratch = new Demo($"Slink, {(isStatic ? "static" : "dynamic")} mode", "");
    if (!isStatic)
    {
        await scratch.BuildAndPublishAsync(project, "clock", 1);
    }

    await using PluginHost single = isStatic
        ? PluginHost.Create(new PluginHostOptions().AddStatic<Clock.ClockPlugin>("clock"))
        : PluginHost.Create(new PluginHostOptions { PluginsRoot = scratch.Root });
    await single.LoadAsync();
    Console.WriteLine(single.Invoke("clock", "now", noon));
    Console.WriteLine($"reload: {await single.ReloadAsync()}");
    return 0;
}

using var demo = new Demo(
    "Hotswap Slink demo",
    "One plugin source runs loaded from a version folder (and is swapped live) or compiled into the host with AddStatic (and is never reloaded).");

// Dynamic: loaded from a version folder, swapped under load.
PublishResult v1 = await demo.BuildAndPublishAsync(project, "clock", 1);
await using PluginHost dynamicHost = PluginHost.Create(new PluginHostOptions { PluginsRoot = demo.Root });
Demo.Step($"dynamic host loaded {await dynamicHost.LoadAsync()}");
string dynamicV1 = (string)dynamicHost.Invoke("clock", "now", noon)!;
Demo.Step("dynamic: " + dynamicV1);
SwapEvidence evidence = await DemoSwap.SwapWhileCallingAsync(
    dynamicHost,
    () => (string)dynamicHost.Invoke("clock", "now", noon)!,
    () => demo.BuildAndPublishAsync(project, "clock", 2),
    [new PluginVersionInfo("clock", v1.Version)]);
Demo.Step("dynamic: " + dynamicHost.Invoke("clock", "now", noon));

// Static: the same source compiled into this host.
await using PluginHost staticHost = PluginHost.Create(new PluginHostOptions().AddStatic<Clock.ClockPlugin>("clock"));
Demo.Step($"static host loaded {await staticHost.LoadAsync()}");
string staticAnswer = (string)staticHost.Invoke("clock", "now", noon)!;
Demo.Step("static:  " + staticAnswer);
ReloadResult refused = await staticHost.ReloadAsync();
Demo.Step("static:  ReloadAsync says: " + refused);

demo.CheckSwap(evidence);
demo.Check("the static build answers like the dynamic v1 build of the same source", staticAnswer == dynamicV1.Replace("loaded", "static", StringComparison.Ordinal));
demo.Check("in static mode a reload changes nothing and says why", refused.Succeeded && !refused.Published && refused.Find("clock")?.Outcome == ReloadOutcome.NotReloadable);
return demo.Finish([.. evidence.Lines(), ("static mode reload", refused.ToString())]);
