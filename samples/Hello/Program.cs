// The Hello sample: the scripted live-swap demo arrives with the samples issue. Until then this
// program checks that the runtime builds and runs here, and says where to look.
using Hotswap;

string root = Directory.CreateTempSubdirectory("hotswap-hello-").FullName;
try
{
    await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = root });
    ReloadResult result = await host.LoadAsync();
    Console.WriteLine($"Hotswap runtime ready: {result} (empty plugins root {root}).");
    Console.WriteLine("The scripted live-swap demo is not written yet; the tests show every behaviour today: dotnet test Hotswap.slnx");
    return result.Succeeded ? 0 : 1;
}
finally
{
    Directory.Delete(root, recursive: true);
}
