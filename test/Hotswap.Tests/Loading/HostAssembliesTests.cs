using System.Runtime.Loader;
using Hotswap.Tests.Generators;

namespace Hotswap.Tests.Loading;

/// <summary>The host's side of sharing: what it has, seen again when it loads more.</summary>
public sealed class HostAssembliesTests
{
    [Fact]
    public void TryGetVersion_AnAssemblyTheHostLoadsLater_IsFoundThen()
    {
        string name = "Later" + Guid.NewGuid().ToString("N")[..8];
        var host = new HostAssemblies();
        Assert.False(host.TryGetVersion(name, out _));

        using var image = new MemoryStream();
        Assert.True(GeneratorHarness.CreateCompilation("namespace Later; public sealed class Thing { }", host: false, assemblyName: name).Emit(image).Success);
        image.Position = 0;
        _ = AssemblyLoadContext.Default.LoadFromStream(image); // loaded after the first answer, from outside the trusted platform assemblies

        Assert.True(host.TryGetVersion(name, out Version? version));
        Assert.Equal(new Version(0, 0, 0, 0), version);
    }

    [Fact]
    public void MustShare_NamesFromOptions_AreTrimmedAndMayEndInDll()
    {
        var host = new HostAssemblies(forced: [" VersionedLib.dll ", ""]);

        Assert.Equal("PluginHostOptions.SharedAssemblies names VersionedLib", host.MustShare("VersionedLib"));
        Assert.Null(host.MustShare("Newtonsoft.Json"));
    }
}
