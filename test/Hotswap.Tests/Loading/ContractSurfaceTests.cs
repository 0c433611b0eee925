using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Hotswap.Tests.Generators;
using Microsoft.CodeAnalysis;

namespace Hotswap.Tests.Loading;

/// <summary>What <see cref="ContractSurface"/> reads as an assembly's public surface, on assemblies compiled here.</summary>
public sealed class ContractSurfaceTests
{
    private static readonly MetadataReference s_versionedLib = MetadataReference.CreateFromFile(typeof(VersionedLib.Note).Assembly.Location);

    [Fact]
    public void Read_PublicSignaturesBaseTypesConstraintsForwardersAndAttributes_NameTheirAssemblies_PrivateOnesDoNot()
    {
        Dictionary<string, string> surface = Surface("""
            namespace Subject;
            public interface IReturns { VersionedLib.Note Make(); }
            public class Derived : System.Collections.Generic.List<VersionedLib.Note> { }
            public class Constrained<T> where T : Hotswap.Plugin { }
            [Hotswap.PluginContract] public interface IAttributed { }
            public class Protected { protected VersionedLib.Note? Kept; }
            internal class Hidden { public Hotswap.Vault? Vault; }
            public class Outer { private sealed class Nested { public Hotswap.Vault? Data; } }
            """);

        Assert.Equal("Subject.IReturns", surface["VersionedLib"]); // the first public type that uses it
        Assert.Equal("Subject.Constrained`1", surface["Hotswap.Abstractions"]); // a constraint; the attribute of IAttributed comes later
        Assert.DoesNotContain("Hotswap", surface.Keys);
    }

    [Fact]
    public void Read_AnAttributeAlone_NamesItsAssembly()
    {
        Dictionary<string, string> surface = Surface("""
            namespace Subject;
            [Hotswap.PluginContract] public interface IAttributed { }
            """);

        Assert.Equal("Subject.IAttributed", surface["Hotswap.Abstractions"]);
    }

    [Fact]
    public void Read_AForwarderAlone_NamesTheAssemblyItForwardsTo()
    {
        Dictionary<string, string> surface = Surface("""[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(VersionedLib.Note))]""");

        Assert.Equal("VersionedLib.Note", surface["VersionedLib"]);
    }

    [Fact]
    public void Read_OnlyPrivateUse_NamesNothingOutsideTheFramework()
    {
        Dictionary<string, string> surface = Surface("""
            namespace Subject;
            public sealed class Quiet { private VersionedLib.Note? _note; internal Hotswap.Vault? Vault; public int Count => _note is null ? 0 : 1; }
            """);

        Assert.DoesNotContain("VersionedLib", surface.Keys);
        Assert.DoesNotContain("Hotswap.Abstractions", surface.Keys);
    }

    private static Dictionary<string, string> Surface(string source)
    {
        Microsoft.CodeAnalysis.CSharp.CSharpCompilation compilation = GeneratorHarness.CreateCompilation(source, host: false, extra: [s_versionedLib]);
        using var stream = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join(Environment.NewLine, emitted.Diagnostics));
        stream.Position = 0;
        using var pe = new PEReader(stream);
        return ContractSurface.Read(pe.GetMetadataReader());
    }
}
